{#- domain (People): a person is one pseudonymised attributor, linked across sources by it.
    Sex and birth month are part of the attributor, so they agree across a person's records.
    Kept per person (smw.person_incremental_config). -#}
{{ smw.person_incremental_config() }}
{%- set since = smw.person_incremental_since() %}
with

{{ smw.people_to_rebuild_cte(since) }}

records as (

    select * from {{ ref('int_person_records_unioned') }}
    where {{ smw.people_to_rebuild_filter(since) }}

),

linked as (

    select
        person_id,
        min(sex) as sex,
        min(birth_month) as birth_month,
        min(event_date) as first_seen_date,
        max(event_date) as last_seen_date,
        max(case when source = 'nsp' then 1 else 0 end) = 1 as has_nsp,
        max(case when source = 'intervention' then 1 else 0 end) = 1 as has_interventions,
        max(case when source = 'treatment' then 1 else 0 end) = 1 as has_treatment,
        max(case when source = 'dip' then 1 else 0 end) = 1 as has_dip,
        max(case when source = 'drug_test' then 1 else 0 end) = 1 as has_drug_tests,
        count(distinct source) as source_count,
        count(*) as records
    from records
    where person_id is not null
    group by person_id

)

select
    linked.*,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from linked
