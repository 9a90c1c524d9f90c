{#- domain (Cohorts: IMS client cohorts), per person and financial year:
    - any NSP transaction in the period makes the person a person who injects drugs (PWID);
    - a PWID whose transactions in the period are mostly (by count) for IPED substances is
      pwid_iped, otherwise pwid_psychoactive (ties go to psychoactive; transactions with an
      unknown or missing substance count for neither);
    - a person with interventions and no NSP transaction in the period is bi_only.
    The person's area is the local authority of the agency where most of their contacts in the
    period happened (ties: the lowest area code), so cohorts partition the region's clients.
    Main and second substances are the most often recorded across their interventions.
    Kept per person (smw.person_incremental_config): a build recomputes the people whose records
    changed since the last one. -#}
{{ smw.person_incremental_config() }}
{%- set since = smw.person_incremental_since() %}
with

{{ smw.people_to_rebuild_cte(since) }}

nsp as (

    select * from {{ ref('int_nsp_transactions_accumulated') }}
    where {{ smw.people_to_rebuild_filter(since) }}

),

interventions as (

    select * from {{ ref('int_ims_interventions_accumulated') }}
    where {{ smw.people_to_rebuild_filter(since) }}

),

agencies as (

    select * from {{ ref('stg_ims__agencies') }}

),

code_lists as (

    select * from {{ ref('code_lists') }}

),

periods as (

    select * from {{ ref('int_financial_years_generated') }}

),

nsp_located as (

    select
        nsp.person_id,
        {{ financial_year('nsp.transaction_date') }} as period,
        coalesce(agencies.la_code, 'unknown') as area_code,
        substances.category as substance_category,
        nsp.needles_issued
    from nsp
    left join agencies
        on nsp.agency_code = agencies.agency_code
    left join code_lists as substances
        on
            substances.code_list = 'ims_injected_substance'
            and nsp.substance_injected = substances.code
    where nsp.person_id is not null and nsp.transaction_date is not null

),

interventions_located as (

    select
        interventions.person_id,
        {{ financial_year('interventions.intervention_date') }} as period,
        coalesce(agencies.la_code, 'unknown') as area_code,
        interventions.main_substance,
        interventions.second_substance
    from interventions
    left join agencies
        on interventions.agency_code = agencies.agency_code
    where interventions.person_id is not null and interventions.intervention_date is not null

),

nsp_summary as (

    select
        person_id,
        period,
        count(*) as nsp_visits,
        sum(case when substance_category = 'iped' then 1 else 0 end) as iped_visits,
        sum(case when substance_category = 'psychoactive' then 1 else 0 end) as psychoactive_visits,
        sum(case when needles_issued > 0 then needles_issued else 0 end) as needles
    from nsp_located
    group by person_id, period

),

intervention_summary as (

    select
        person_id,
        period,
        count(*) as interventions
    from interventions_located
    group by person_id, period

),

contacts_by_area as (

    select person_id, period, area_code, count(*) as contacts
    from (
        select person_id, period, area_code from nsp_located
        union all
        select person_id, period, area_code from interventions_located
    ) as contacts
    group by person_id, period, area_code

),

main_area as (

    {{ smw.top_row_per_group(
        'contacts_by_area', 'person_id, period', 'contacts desc, area_code asc',
        columns='person_id, period, area_code'
    ) }}

),

substances_recorded as (

    select person_id, period, 'main' as position, main_substance as substance
    from interventions_located
    where main_substance is not null and main_substance <> 'unknown'
    union all
    select person_id, period, 'second' as position, second_substance as substance
    from interventions_located
    where second_substance is not null and second_substance <> 'unknown'

),

substance_ranked as (

    select
        person_id,
        period,
        position,
        substance,
        row_number() over (
            partition by person_id, period, position order by count(*) desc, substance
        ) as substance_rank
    from substances_recorded
    group by person_id, period, position, substance

),

client_periods as (

    select
        main_area.person_id,
        main_area.period,
        main_area.area_code,
        coalesce(nsp_summary.nsp_visits, 0) as nsp_visits,
        coalesce(nsp_summary.iped_visits, 0) as iped_visits,
        coalesce(nsp_summary.psychoactive_visits, 0) as psychoactive_visits,
        coalesce(nsp_summary.needles, 0) as needles,
        coalesce(intervention_summary.interventions, 0) as interventions
    from main_area
    left join nsp_summary
        on main_area.person_id = nsp_summary.person_id and main_area.period = nsp_summary.period
    left join intervention_summary
        on
            main_area.person_id = intervention_summary.person_id
            and main_area.period = intervention_summary.period

),

substance_choice as (

    {#- the main and second substance side by side, one row per person and period: one join
        below instead of two (at scale 10 the two joins' hash tables did not fit in 2 GB) -#}
    select
        person_id,
        period,
        max(case when position = 'main' then substance end) as main_substance,
        max(case when position = 'second' then substance end) as second_substance
    from substance_ranked
    where substance_rank = 1
    group by person_id, period

),

people as (

    select * from {{ ref('int_people_linked') }}
    where {{ smw.people_to_rebuild_filter(since) }}

)

select
    client_periods.person_id || '|' || client_periods.period as client_period_id,
    client_periods.person_id,
    client_periods.period,
    client_periods.area_code,
    case
        when
            client_periods.nsp_visits > 0
            and client_periods.iped_visits > client_periods.psychoactive_visits
            then 'pwid_iped'
        when client_periods.nsp_visits > 0 then 'pwid_psychoactive'
        else 'bi_only'
    end as cohort,
    people.sex,
    {{ age_at('people.birth_month', 'periods.midpoint_date') }} as age_at_midpoint,
    substance_choice.main_substance,
    substance_choice.second_substance,
    client_periods.nsp_visits,
    client_periods.iped_visits,
    client_periods.psychoactive_visits,
    client_periods.needles,
    client_periods.interventions,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from client_periods
inner join people
    on client_periods.person_id = people.person_id
inner join periods
    on client_periods.period = periods.period
left join substance_choice
    on
        client_periods.person_id = substance_choice.person_id
        and client_periods.period = substance_choice.period
