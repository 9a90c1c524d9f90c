{#- Every person-level record of every source in one shape, placed in its area of record
    (domain: Area of a record): NSP visits and interventions in the agency's local authority,
    treatment episodes in the client's area of residence, DIP contacts in the recording CJIT's
    area, drug tests in the custody suite's area. Records with an incomplete attributor are kept
    (person_id null): they count as activity but cannot be linked. Records rejected for an
    impossible date of birth (birth_month_problem, issue 22) are left out: they count nowhere.
    Kept per person (smw.person_incremental_config); the records with no person are recomputed
    on every build. -#}
{{ smw.person_incremental_config(unlinked=true) }}
{%- set since = smw.person_incremental_since() %}
with

{{ smw.people_to_rebuild_cte(since) }}

nsp as (

    select * from {{ ref('int_nsp_transactions_accumulated') }}
    where
        birth_month_problem is null
        and {{ smw.people_to_rebuild_filter(since, unlinked=true) }}

),

interventions as (

    select * from {{ ref('int_ims_interventions_accumulated') }}
    where
        birth_month_problem is null
        and {{ smw.people_to_rebuild_filter(since, unlinked=true) }}

),

episodes as (

    select * from {{ ref('int_ndtms_episodes_accumulated') }}
    where
        birth_month_problem is null
        and {{ smw.people_to_rebuild_filter(since, unlinked=true) }}

),

contacts as (

    select * from {{ ref('int_dip_contacts_accumulated') }}
    where
        birth_month_problem is null
        and {{ smw.people_to_rebuild_filter(since, unlinked=true) }}

),

tests as (

    select * from {{ ref('int_mdt_drug_tests_accumulated') }}
    where
        birth_month_problem is null
        and {{ smw.people_to_rebuild_filter(since, unlinked=true) }}

),

agencies as (

    select * from {{ ref('stg_ims__agencies') }}

),

unioned as (

    select
        'nsp' as source,
        nsp.transaction_id as record_id,
        nsp.person_id,
        nsp.transaction_date as event_date,
        agencies.la_code as area_code,
        nsp.client_la_code as residence_la_code,
        nsp.sex,
        nsp.birth_month
    from nsp
    left join agencies
        on nsp.agency_code = agencies.agency_code

    union all

    select
        'intervention' as source,
        interventions.intervention_id as record_id,
        interventions.person_id,
        interventions.intervention_date as event_date,
        agencies.la_code as area_code,
        interventions.client_la_code as residence_la_code,
        interventions.sex,
        interventions.birth_month
    from interventions
    left join agencies
        on interventions.agency_code = agencies.agency_code

    union all

    select
        'treatment' as source,
        episode_id as record_id,
        person_id,
        referral_date as event_date,
        client_la_code as area_code,
        client_la_code as residence_la_code,
        sex,
        birth_month
    from episodes

    union all

    select
        'dip' as source,
        contact_id as record_id,
        person_id,
        contact_date as event_date,
        cjit_code as area_code,
        client_la_code as residence_la_code,
        sex,
        birth_month
    from contacts

    union all

    select
        'drug_test' as source,
        test_id as record_id,
        person_id,
        test_date as event_date,
        custody_la_code as area_code,
        null as residence_la_code,
        sex,
        birth_month
    from tests

)

select
    source || ':' || record_id as person_record_id,
    source,
    record_id,
    person_id,
    event_date,
    {{ financial_year('event_date') }} as period,
    area_code,
    residence_la_code,
    sex,
    birth_month,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from unioned
