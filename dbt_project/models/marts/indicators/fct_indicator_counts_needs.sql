{#- Numerators and denominators of the needs-assessment indicators (domain: Indicators, second
    release, third table), per local authority and for the region:
    - prev_rate: the prevalence estimate aged 15-64 of each drug group (ocu, opiate, crack,
      injecting) over the population aged 15-64 (15-19 ... 60-64, both sexes) of the mid-year
      estimate of the financial year's first calendar year (2020-21 uses mid-2020), per 1,000.
      An area-year without a population is left out (the region sums the areas that have both).
    - tx_unmet_need: the estimate minus persons aged 15-64 (at 30 September) in treatment at any
      time in the year (as tx_in_treatment) citing the group's drugs in an episode overlapping
      the year (ocu: opiates and/or crack, as tx_penetration; opiate: heroin, methadone, other
      opiates; crack: crack), never below 0, over the estimate. The region subtracts the
      region's persons from the region's estimate (not a sum of the areas' floored values).
      The persons subtracted are also returned as tx_unmet_need_treated (not an indicator:
      fct_indicator_values uses it for the interval and leaves it out).
    - bullseye_people: the rings of fct_treatment_bullseye for OCU persons aged 15-64; the
      region adds the areas' known rings (each person has one area a year) and sets its own
      not_known ring against the region's estimate, never below 0.
    - provider_flows: per treatment provider, in the local authority where most of its
      episodes' clients live (over the whole extract): persons in treatment (an episode at the
      provider overlapping the year), new presentations (persons with a new-presentation episode
      referred in the year), transfers in (continuation episodes referred in the year), transfers
      out (episodes discharged transferred_* in the year), exits (discharges in the year that are
      not transfers), planned exits (of those, successful completions), and persons in treatment
      by the substance group of their latest episode at the provider in the year. Planned exits
      as a share of exits is planned_exits / exits; both counts are published. A provider
      belongs to one area; the region repeats its rows. -#}
with

estimates as (

    select la_code as area_code, period, drug_group, estimate
    from {{ ref('stg_reference__prevalence_estimates') }}
    where
        age_band = '15-64'
        and drug_group in ('ocu', 'opiate', 'crack', 'injecting')
        and estimate is not null

),

populations as (

    select la_code as area_code, year, sum(population) as population
    from {{ ref('stg_reference__populations') }}
    where
        age_band in (
            '15-19', '20-24', '25-29', '30-34', '35-39', '40-44', '45-49', '50-54', '55-59', '60-64'
        )
    group by la_code, year

),

periods as (

    select * from {{ ref('dim_periods') }}

),

person_periods as (

    select * from {{ ref('int_treatment_person_periods') }}

),

episodes as (

    {{ person_episodes() }}

),

journeys as (

    select * from {{ ref('int_treatment_journeys_chained') }}

),

bullseye as (

    select * from {{ ref('fct_treatment_bullseye') }}
    where age_band = '15-64'

),

areas as (

    select * from {{ ref('areas') }}

),

estimated_rates as (

    select
        estimates.period,
        estimates.area_code,
        estimates.drug_group,
        estimates.estimate,
        populations.population
    from estimates
    inner join periods
        on estimates.period = periods.period
    inner join populations
        on estimates.area_code = populations.area_code and periods.start_year = populations.year

),

{# persons 15-64 in treatment in the year and the drug groups their episodes in the year cite -#}
treated_groups as (

    select
        person_periods.person_id,
        person_periods.period,
        person_periods.area_code,
        max(case when person_periods.has_ocu_episode then 1 else 0 end) as cites_ocu,
        max(case when episodes.substance_group = 'opiate' then 1 else 0 end) as cites_opiate,
        max(
            case
                when
                    'crack' in (episodes.substance_1, episodes.substance_2, episodes.substance_3)
                    then 1
                else 0
            end
        )
            as cites_crack
    from person_periods
    inner join periods
        on person_periods.period = periods.period
    inner join episodes
        on
            person_periods.person_id = episodes.person_id
            and {{ smw.episode_overlaps('episodes', 'periods.start_date', 'periods.end_date') }}
    where person_periods.age_at_midpoint between 15 and 64
    group by person_periods.person_id, person_periods.period, person_periods.area_code

),

treated_counts as (

    select period, area_code, 'ocu' as drug_group, sum(cites_ocu) as treated
    from treated_groups
    group by period, area_code
    union all
    select period, area_code, 'opiate' as drug_group, sum(cites_opiate) as treated
    from treated_groups
    group by period, area_code
    union all
    select period, area_code, 'crack' as drug_group, sum(cites_crack) as treated
    from treated_groups
    group by period, area_code

),

unmet_rows as (

    select
        estimates.period,
        estimates.area_code,
        estimates.drug_group,
        estimates.estimate,
        coalesce(treated_counts.treated, 0) as treated
    from estimates
    left join treated_counts
        on
            estimates.period = treated_counts.period
            and estimates.area_code = treated_counts.area_code
            and estimates.drug_group = treated_counts.drug_group
    where estimates.drug_group in ('ocu', 'opiate', 'crack')

),

bullseye_rows as (

    select
        'bullseye_people' as indicator_code,
        bullseye.period,
        bullseye.area_code,
        'ring' as breakdown_type,
        bullseye.ring as breakdown,
        cast(bullseye.people as {{ smw.type_double() }}) as numerator,
        cast(null as {{ smw.type_double() }}) as denominator
    from bullseye
    inner join areas
        on bullseye.area_code = areas.area_code and areas.area_type = 'la'

),

region_known as (

    select
        areas.parent_code as area_code,
        bullseye.period,
        bullseye.ring,
        sum(bullseye.people) as people
    from bullseye
    inner join areas
        on
            bullseye.area_code = areas.area_code
            and areas.area_type = 'la'
    {{ join_rolled_up_region('areas', 'bullseye.period') }}
    where bullseye.ring <> 'not_known'
    group by areas.parent_code, bullseye.period, bullseye.ring

),

region_prevalence as (

    {{ region_prevalence_estimates('areas') }}

),

region_estimates as (

    select area_code, period, estimate
    from region_prevalence
    where drug_group = 'ocu' and estimate is not null

),

bullseye_periods as (

    select distinct period from bullseye

),

region_bullseye_rows as (

    select
        'bullseye_people' as indicator_code,
        period,
        area_code,
        'ring' as breakdown_type,
        ring as breakdown,
        cast(people as {{ smw.type_double() }}) as numerator,
        cast(null as {{ smw.type_double() }}) as denominator
    from region_known
    union all
    select
        'bullseye_people' as indicator_code,
        region_estimates.period,
        region_estimates.area_code,
        'ring' as breakdown_type,
        'not_known' as breakdown,
        cast(
            case
                when region_estimates.estimate - coalesce(sum(region_known.people), 0) < 0 then 0
                else region_estimates.estimate - coalesce(sum(region_known.people), 0)
            end as {{ smw.type_double() }}
        ) as numerator,
        cast(null as {{ smw.type_double() }}) as denominator
    from region_estimates
    inner join bullseye_periods
        on region_estimates.period = bullseye_periods.period
    left join region_known
        on
            region_estimates.area_code = region_known.area_code
            and region_estimates.period = region_known.period
    group by region_estimates.period, region_estimates.area_code, region_estimates.estimate

),

provider_area_episodes as (

    select provider_code, area_code, count(*) as area_episodes
    from episodes
    where provider_code is not null and area_code is not null
    group by provider_code, area_code

),

provider_areas as (

    {#- the local authority where most of a provider's episodes' clients live -#}
    {{ smw.top_row_per_group(
        'provider_area_episodes', 'provider_code', 'area_episodes desc, area_code',
        columns='provider_code, area_code'
    ) }}

),

provider_episodes as (

    select
        episodes.episode_id,
        episodes.person_id,
        episodes.provider_code,
        provider_areas.area_code,
        periods.period,
        episodes.substance_group,
        episodes.discharge_category,
        episodes.referral_date between periods.start_date and periods.end_date
            as is_referred_in_period,
        episodes.discharge_date between periods.start_date and periods.end_date
            as is_discharged_in_period,
        journeys.is_continuation,
        row_number() over (
            partition by episodes.provider_code, episodes.person_id, periods.period
            order by episodes.referral_date desc, episodes.episode_id desc
        ) as recency
    from episodes
    inner join provider_areas
        on episodes.provider_code = provider_areas.provider_code
    inner join periods
        on {{ smw.episode_overlaps('episodes', 'periods.start_date', 'periods.end_date') }}
    inner join journeys
        on episodes.episode_id = journeys.episode_id

),

provider_measures as (

    select
        period,
        area_code,
        provider_code,
        'in_treatment' as measure,
        count(distinct person_id) as people
    from provider_episodes
    group by period, area_code, provider_code
    union all
    select
        period,
        area_code,
        provider_code,
        'new_presentations' as measure,
        count(distinct person_id) as people
    from provider_episodes
    where is_referred_in_period and not is_continuation
    group by period, area_code, provider_code
    union all
    select period, area_code, provider_code, 'transfers_in' as measure, count(*) as people
    from provider_episodes
    where is_referred_in_period and is_continuation
    group by period, area_code, provider_code
    union all
    select period, area_code, provider_code, 'transfers_out' as measure, count(*) as people
    from provider_episodes
    where is_discharged_in_period and discharge_category = 'transferred'
    group by period, area_code, provider_code
    union all
    select period, area_code, provider_code, 'exits' as measure, count(*) as people
    from provider_episodes
    where is_discharged_in_period and discharge_category <> 'transferred'
    group by period, area_code, provider_code
    union all
    select period, area_code, provider_code, 'planned_exits' as measure, count(*) as people
    from provider_episodes
    where is_discharged_in_period and discharge_category = 'completed'
    group by period, area_code, provider_code
    union all
    select
        period,
        area_code,
        provider_code,
        'in_treatment_' || substance_group as measure,
        count(*) as people
    from provider_episodes
    where recency = 1 and substance_group <> 'unknown'
    group by period, area_code, provider_code, substance_group

),

measures as (

    select 'new_presentations' as measure
    union all
    select 'transfers_in' as measure
    union all
    select 'transfers_out' as measure
    union all
    select 'exits' as measure
    union all
    select 'planned_exits' as measure
    union all
    select 'in_treatment_opiate' as measure
    union all
    select 'in_treatment_non_opiate' as measure
    union all
    select 'in_treatment_non_opiate_alcohol' as measure
    union all
    select 'in_treatment_alcohol_only' as measure

),

provider_grid as (

    {#- every measure for every provider-year with anyone in treatment, so absent ones are 0 -#}
    select
        treated.period,
        treated.area_code,
        treated.provider_code,
        measures.measure
    from provider_measures as treated
    cross join measures
    where treated.measure = 'in_treatment'
    union all
    select period, area_code, provider_code, measure
    from provider_measures
    where measure = 'in_treatment'

),

provider_rows as (

    select
        'provider_flows' as indicator_code,
        provider_grid.period,
        provider_grid.area_code,
        'provider_measure' as breakdown_type,
        provider_grid.provider_code || '|' || provider_grid.measure as breakdown,
        cast(coalesce(provider_measures.people, 0) as {{ smw.type_double() }}) as numerator,
        cast(null as {{ smw.type_double() }}) as denominator
    from provider_grid
    inner join areas
        on provider_grid.area_code = areas.area_code and areas.area_type = 'la'
    left join provider_measures
        on
            provider_grid.period = provider_measures.period
            and provider_grid.provider_code = provider_measures.provider_code
            and provider_grid.measure = provider_measures.measure

),

counts as (

    {{ indicator_counts(
        'estimated_rates', 'prev_rate', 'drug_group', 'drug_group', 'sum(estimate)',
        'sum(population)'
    ) }}
    union all
    {{ indicator_counts(
        'unmet_rows', 'tx_unmet_need', 'drug_group', 'drug_group',
        'case when sum(estimate) - sum(treated) < 0 then 0 else sum(estimate) - sum(treated) end',
        'sum(estimate)'
    ) }}
    union all
    {# not published: the persons in treatment that tx_unmet_need subtracts, for its interval #}
    {{ indicator_counts(
        'unmet_rows', 'tx_unmet_need_treated', 'drug_group', 'drug_group', 'sum(treated)'
    ) }}
    union all
    select * from bullseye_rows
    union all
    select * from region_bullseye_rows
    union all
    select * from provider_rows
    union all
    {# the region repeats each provider's row (a provider belongs to one area) #}
    select
        provider_rows.indicator_code,
        provider_rows.period,
        areas.parent_code as area_code,
        provider_rows.breakdown_type,
        provider_rows.breakdown,
        provider_rows.numerator,
        provider_rows.denominator
    from provider_rows
    inner join areas
        on
            provider_rows.area_code = areas.area_code
    {{ join_rolled_up_region('areas', 'provider_rows.period') }}

)

select * from counts
