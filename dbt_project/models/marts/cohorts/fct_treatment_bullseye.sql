{#- domain (treatment bullseye), per area, period and prevalence age band, for people who use
    opiates and/or crack (OCU, from any source) and are known to treatment:
      1 in_treatment_at_end   - in treatment at the period end (an episode open after 31 March)
      2 exited_in_period      - in treatment during the period but not at its end
      3 known_not_in_period   - treated before the period, not during it
      4 not_known             - the OCU prevalence estimate minus rings 1-3, never below zero
    Area is residence on the latest relevant episode; age at the period midpoint. Rings 1-3 of
    band 15-64 count people aged 15-64; the four rings sum to the estimate unless the known
    rings already exceed it (then not_known is 0 and the shortfall is reported). -#}
with

person_periods as (

    select * from {{ ref('int_treatment_person_periods') }}

),

episodes as (

    {{ person_episodes() }}

),

ocu as (

    select * from {{ ref('int_ocu_people_identified') }}

),

people as (

    select * from {{ ref('int_people_linked') }}

),

periods as (

    select * from {{ ref('dim_periods') }}

),

estimates as (

    select * from {{ ref('stg_reference__prevalence_estimates') }}
    where drug_group = 'ocu' and estimate is not null  -- unreadable or impossible: reported, not used (issue 22)

),

areas as (

    select * from {{ ref('dim_areas') }}
    where area_type = 'la'

),

in_period as (

    select
        person_periods.person_id,
        person_periods.period,
        person_periods.area_code,
        person_periods.age_at_midpoint,
        case
            when person_periods.is_open_at_period_end then 'in_treatment_at_end'
            else 'exited_in_period'
        end as ring
    from person_periods
    inner join ocu
        on person_periods.person_id = ocu.person_id

),

treated_before as (

    {#- the episodes of OCU people discharged before a period in which they are not in treatment
        (ring 3's people only: the others' episodes times every later period are most rows) -#}
    select
        episodes.person_id,
        periods.period,
        episodes.area_code,
        episodes.discharge_date,
        episodes.episode_id
    from episodes
    inner join ocu
        on episodes.person_id = ocu.person_id
    inner join periods
        on episodes.discharge_date < periods.start_date
    left join person_periods
        on
            episodes.person_id = person_periods.person_id
            and periods.period = person_periods.period
    where person_periods.person_id is null

),

latest_before as (

    {#- residence on their latest episode -#}
    {{ smw.top_row_per_group(
        'treated_before', 'person_id, period', 'discharge_date desc, episode_id desc',
        columns='person_id, period, area_code'
    ) }}

),

known_before as (

    select
        latest_before.person_id,
        latest_before.period,
        latest_before.area_code,
        {{ age_at('people.birth_month', 'periods.midpoint_date') }} as age_at_midpoint,
        'known_not_in_period' as ring
    from latest_before
    inner join people
        on latest_before.person_id = people.person_id
    inner join periods
        on latest_before.period = periods.period

),

known as (

    select person_id, period, area_code, age_at_midpoint, ring from in_period
    union all
    select person_id, period, area_code, age_at_midpoint, ring from known_before

),

banded as (

    select period, area_code, ring, {{ age_band_prevalence('age_at_midpoint') }} as age_band
    from known
    union all
    select period, area_code, ring, '15-64' as age_band
    from known
    where age_at_midpoint between 15 and 64

),

known_counts as (

    select area_code, period, age_band, ring, count(*) as people
    from banded
    where age_band in ('15-24', '25-34', '35-64', '15-64')
    group by area_code, period, age_band, ring

),

rings as (

    select 'in_treatment_at_end' as ring, 1 as ring_order
    union all
    select 'exited_in_period' as ring, 2 as ring_order
    union all
    select 'known_not_in_period' as ring, 3 as ring_order

),

grid as (

    {#- every area x estimate period x band x known ring, so absent rings show as 0 -#}
    select
        estimates.la_code as area_code,
        estimates.period,
        estimates.age_band,
        rings.ring,
        rings.ring_order,
        estimates.estimate,
        estimates.lower_95,
        estimates.upper_95
    from estimates
    inner join areas
        on estimates.la_code = areas.area_code
    cross join rings

),

known_rings as (

    select
        grid.area_code,
        grid.period,
        grid.age_band,
        grid.ring,
        grid.ring_order,
        coalesce(known_counts.people, 0) as people,
        grid.estimate,
        grid.lower_95,
        grid.upper_95
    from grid
    left join known_counts
        on
            grid.area_code = known_counts.area_code
            and grid.period = known_counts.period
            and grid.age_band = known_counts.age_band
            and grid.ring = known_counts.ring

),

not_known as (

    select
        area_code,
        period,
        age_band,
        'not_known' as ring,
        4 as ring_order,
        cast(
            case
                when max(estimate) - sum(people) < 0 then 0 else max(estimate) - sum(people)
            end as {{ smw.type_double() }}
        )
            as people,
        max(estimate) as estimate,
        max(lower_95) as lower_95,
        max(upper_95) as upper_95
    from known_rings
    group by area_code, period, age_band

),

all_rings as (

    select
        area_code,
        period,
        age_band,
        ring,
        ring_order,
        cast(people as {{ smw.type_double() }}) as people,
        estimate,
        lower_95,
        upper_95
    from known_rings
    union all
    select area_code, period, age_band, ring, ring_order, people, estimate, lower_95, upper_95
    from not_known

)

select
    area_code || '|' || period || '|' || age_band || '|' || ring as bullseye_id,
    area_code,
    period,
    age_band,
    ring,
    ring_order,
    people,
    ring = 'not_known' as is_estimated,
    estimate as prevalence_estimate,
    lower_95 as prevalence_lower_95,
    upper_95 as prevalence_upper_95
from all_rings
