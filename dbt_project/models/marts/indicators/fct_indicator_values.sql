{#- domain (Indicators, Methods): one long table of indicator values with their 95% intervals,
    comparator, significance, change on the previous year and recent trend. Restricted:
    unsuppressed. Disclosure control is applied on the way to serving (rpt_indicator_values).
    - proportions: Wilson score interval; counts: exact Poisson below 10, Byar's method from 10;
      treatment penetration: the interval from the prevalence estimate's 95% bounds.
    - estimate_bounds, the prevalence estimate's 95% bounds carried through: as a denominator
      (tx_penetration: numerator / upper .. numerator / lower); as a numerator (prev_rate:
      lower / population .. upper / population, per 1,000); and for unmet need, the shortfall
      max(0, bound - treated) / bound at each bound (increasing in the estimate).
    - comparator: England where the catalogue says so and a benchmark exists, else the region;
      the region itself compares with England. Significance uses the indicator's polarity.
    - trend: chi-squared test for linear trend (Cochran-Armitage) over the latest five years of
      a proportion, as Fingertips does; counts have no trend test.
    - provisional: an indicator with a follow-up window (re-presentation 182 days, early exit 84
      days) whose window has not passed by the latest date in the data, and every year to date.
    Years are published only where the indicator's source covers them.
    - periods (domain: Periods beyond the financial year): period_type year for a financial year
      the source covers to its end; ytd for the year it has begun but not finished (same label,
      data_to the source's latest date: never silently left out); quarter and rolling_12m for
      the headline counts and proportions (fct_indicator_counts_periods) in windows the source
      covers whole. Change is on the previous period of the same type (previous year, quarter,
      or the twelve months ending a quarter earlier; none for a year to date); the trend test
      uses whole years only. -#}

{#- England's benchmark rows: from the earliest year any area of the source covers (an area's
    own years, as the county's history, are compared with England where a benchmark exists) -#}
{%- set first -%}
coalesce(
    own.first_period,
    case
        when areas.area_type = 'country' and earliest_own.first_period < coverage.first_period
            then earliest_own.first_period
        else coverage.first_period
    end
)
{%- endset -%}
{%- set last = 'coalesce(own.last_period, coverage.last_period)' -%}
{%- set as_of = 'coalesce(own.data_as_of_date, coverage.data_as_of_date)' %}

with

local_counts as (

    select * from {{ ref('int_indicator_counts_treatment') }}
    {# treatment support pack and TOP outcomes (second release, first two tables) #}
    union all
    select * from {{ ref('int_indicator_counts_treatment_profile') }}
    union all
    select * from {{ ref('int_indicator_counts_top') }}
    union all
    select * from {{ ref('int_indicator_counts_ims') }}
    where indicator_code <> 'all_interventions'
    union all
    select * from {{ ref('int_indicator_counts_dip') }}
    union all
    select * from {{ ref('int_indicator_counts_dip_profile') }}
    union all
    select * from {{ ref('int_indicator_counts_ims_substances') }}

    {# needs assessment and criminal justice (second release, third table) #}
    union all
    select * from {{ ref('fct_indicator_counts_needs') }}
    where indicator_code <> 'tx_unmet_need_treated'
    union all
    select * from {{ ref('fct_indicator_counts_justice') }}
    union all
    select
        indicator_code, period, area_code, breakdown_type, breakdown, numerator, denominator
    from {{ ref('fct_indicator_counts_periods') }}

),

local_breakdown_types as (

    select distinct indicator_code, breakdown_type, breakdown
    from local_counts

),

england_counts as (

    {#- England's breakdowns take the type of the same breakdown value in the local rows (the
        benchmark file carries values only: 'opiate', 'self', 'opiate|urgent_problem', ...); a
        count has no denominator, whatever the file says -#}
    select
        england.indicator_code,
        england.period,
        england.area_code,
        coalesce(local_breakdown_types.breakdown_type, england.breakdown_type) as breakdown_type,
        england.breakdown,
        england.numerator,
        case when england_units.unit = 'count' then null else england.denominator end as denominator
    from {{ ref('int_indicator_counts_england') }} as england
    inner join {{ ref('indicator_catalogue') }} as england_units
        on england.indicator_code = england_units.indicator_code
    left join local_breakdown_types
        on
            england.indicator_code = local_breakdown_types.indicator_code
            and england.breakdown = local_breakdown_types.breakdown

),

counts as (

    select * from local_counts
    union all
    select * from england_counts

),

unmet_treated as (

    {# persons in treatment that tx_unmet_need subtracts from the estimate, for its interval #}
    select period, area_code, breakdown, numerator as treated
    from {{ ref('fct_indicator_counts_needs') }}
    where indicator_code = 'tx_unmet_need_treated'

),

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

),

coverage as (

    select * from {{ ref('int_source_coverage_summarised') }}

),

own_coverage as (

    select * from {{ ref('int_source_coverage_own_years') }}

),

earliest_own as (

    select source, min(first_period) as first_period
    from own_coverage
    group by source

),

areas as (

    select * from {{ ref('dim_areas') }}

),

periods as (

    {#- financial years, quarters and rolling twelve months -#}
    select * from {{ ref('dim_reporting_periods') }}

),

estimates as (

    {#- prevalence estimates aged 15-64 by drug group, per local authority and summed for the
        region (treatment penetration uses ocu; prev_rate and tx_unmet_need their drug group) -#}
    select la_code as area_code, period, drug_group, estimate, lower_95, upper_95
    from {{ ref('stg_reference__prevalence_estimates') }}
    where age_band = '15-64'
    union all
    {{ region_prevalence_estimates('areas', ['estimate', 'lower_95', 'upper_95']) }}

),

indicator_sources as (

    {#- the person-level source whose coverage decides the years an indicator is published -#}
    select
        indicator_code,
        case
            when indicator_code like 'tx_%' then 'treatment'
            when indicator_code like 'top_%' then 'treatment'
            when indicator_code like 'nsp_%' then 'nsp'
            when indicator_code = 'ims_intervention_share' then 'intervention'
            when indicator_code like 'ims_%' then 'nsp'
            when indicator_code like 'dip_%' then 'dip'
            when indicator_code like 'mdt_%' then 'drug_test'
            when
                indicator_code in ('prev_rate', 'bullseye_people', 'provider_flows')
                then 'treatment'
            when indicator_code = 'known_to_treatment' then 'cohort'
        end as coverage_source
    from catalogue

),

covered as (

    select
        counts.*,
        catalogue.unit,
        catalogue.method,
        catalogue.polarity,
        catalogue.multiplier,
        catalogue.comparator,
        catalogue.follow_up_days,
        {{ as_of }} as data_as_of_date,
        periods.end_date as period_end_date,
        periods.start_year,
        case
            when
                periods.period_type = 'year' and periods.end_date > {{ as_of }}
                then 'ytd'
            else periods.period_type
        end as period_type,
        case
            when periods.end_date > {{ as_of }} then {{ as_of }}
            else periods.end_date
        end as data_to,
        periods.previous_period,
        areas.area_type
    from counts
    inner join catalogue
        on counts.indicator_code = catalogue.indicator_code
    inner join indicator_sources
        on counts.indicator_code = indicator_sources.indicator_code
    inner join coverage
        on
            {# known_to_treatment: each cohort's own source #}
            case
                when
                    indicator_sources.coverage_source <> 'cohort'
                    then indicator_sources.coverage_source
                when counts.breakdown like 'dip_%' then 'dip'
                when counts.breakdown like 'drug_test_%' then 'drug_test'
                else 'nsp'
            end = coverage.source
    {# own years (Salford) #}
    left join own_coverage as own
        on coverage.source = own.source and counts.area_code = own.area_code
    left join earliest_own
        on coverage.source = earliest_own.source
    inner join periods
        on counts.period = periods.period
    inner join areas
        on counts.area_code = areas.area_code
    where
        {#- a whole year the source covers; the year it has only begun to cover is year to date -#}
        (
            periods.period_type = 'year'
            and counts.period between {{ first }} and {{ last }}
        )
        or (
            periods.period_type = 'year'
            and counts.period >= {{ first }}
            and periods.start_date <= {{ as_of }}
            and periods.end_date > {{ as_of }}
        )
        {#- quarters and rolling twelve months the source covers whole -#}
        or (
            periods.period_type in ('quarter', 'rolling_12m')
            and periods.start_date >= {{ financial_year_start(first) }}
            and periods.end_date <= {{ as_of }}
        )

),

with_denominators as (

    select
        covered.indicator_code,
        covered.period,
        covered.area_code,
        covered.area_type,
        covered.breakdown_type,
        covered.breakdown,
        covered.numerator,
        case
            when
                covered.method = 'estimate_bounds'
                and covered.area_type <> 'country'
                and covered.indicator_code <> 'prev_rate'
                then estimates.estimate
            else covered.denominator
        end as denominator,
        estimates.lower_95 as estimate_lower_95,
        estimates.upper_95 as estimate_upper_95,
        unmet_treated.treated as estimate_treated,
        covered.unit,
        covered.method,
        covered.polarity,
        covered.multiplier,
        covered.comparator,
        covered.follow_up_days,
        covered.data_as_of_date,
        covered.period_end_date,
        covered.start_year,
        covered.period_type,
        covered.data_to,
        covered.previous_period
    from covered
    left join estimates
        on
            covered.area_code = estimates.area_code
            and covered.period = estimates.period
            and estimates.drug_group
            = case when covered.breakdown_type = 'drug_group' then covered.breakdown else 'ocu' end
    left join unmet_treated
        on
            covered.indicator_code = 'tx_unmet_need'
            and covered.area_code = unmet_treated.area_code
            and covered.period = unmet_treated.period
            and covered.breakdown = unmet_treated.breakdown

),

count_numerators as (

    {#- the numerators of counts, the only rows whose interval is exact Poisson or Byar -#}
    select
        *,
        case when method = 'count_exact_byar' then numerator end as count_numerator
    from with_denominators

),

count_intervals as (

    {#- exact Poisson below 10, Byar's method from 10; a step of its own, as the macros nest
        deeply (null for every other row) -#}
    select
        *,
        {{ count_ci_lower('count_numerator') }} as count_lower_95,
        {{ count_ci_upper('count_numerator') }} as count_upper_95
    from count_numerators

),

valued as (

    select
        *,
        case
            when unit = 'count' then numerator
            when denominator > 0 then numerator / denominator * multiplier
        end as value,
        {{ interval_bound('lower') }} as lower_95,
        {{ interval_bound('upper') }} as upper_95
    from count_intervals

),

comparators as (

    select
        local_rows.indicator_code,
        local_rows.period,
        local_rows.area_code,
        local_rows.breakdown_type,
        local_rows.breakdown,
        case
            when local_rows.area_type = 'country' then null
            when local_rows.area_type = 'region' then england.area_code
            when
                local_rows.comparator = 'england' and england.value is not null
                then england.area_code
            else region.area_code
        end as comparator_area_code,
        case
            when local_rows.area_type = 'country' then null
            when local_rows.area_type = 'region' then england.value
            when local_rows.comparator = 'england' and england.value is not null then england.value
            else region.value
        end as comparator_value
    from valued as local_rows
    left join areas as local_area
        on local_rows.area_code = local_area.area_code
    left join valued as england
        on
            england.area_type = 'country'
            and local_rows.indicator_code = england.indicator_code
            and local_rows.period = england.period
            and local_rows.breakdown = england.breakdown
    left join valued as region
        on
            region.area_type = 'region'
            and local_area.parent_code = region.area_code
            and local_rows.indicator_code = region.indicator_code
            and local_rows.period = region.period
            and local_rows.breakdown = region.breakdown

),

trends as (

    {#- Cochran-Armitage chi-squared test for a linear trend in a proportion over the latest five
        years (scores = year), computed from sums; significant at 95% when X2 > 3.8415. -#}
    select
        latest.indicator_code,
        latest.period,
        latest.area_code,
        latest.breakdown,
        count(*) as trend_points,
        sum(earlier.numerator) as sum_n,
        sum(earlier.denominator) as sum_d,
        sum(earlier.start_year * earlier.numerator) as sum_tn,
        sum(earlier.start_year * earlier.denominator) as sum_td,
        sum(earlier.start_year * earlier.start_year * earlier.denominator) as sum_ttd
    from valued as latest
    inner join valued as earlier
        on
            {{ same_indicator_series('latest', 'earlier') }}
            and earlier.start_year between latest.start_year - 4 and latest.start_year
            and earlier.period_type = 'year'
    where latest.unit = 'proportion' and earlier.denominator > 0 and latest.period_type = 'year'
    group by latest.indicator_code, latest.period, latest.area_code, latest.breakdown

),

trend_tested as (

    select
        *,
        sum_n / sum_d as pooled_proportion,
        sum_tn - (sum_n / sum_d) * sum_td as trend_statistic,
        (sum_n / sum_d)
        * (1 - sum_n / sum_d)
        * (sum_ttd - sum_td * sum_td / sum_d) as trend_variance
    from trends

),

previous as (

    select
        indicator_code,
        area_code,
        breakdown_type,
        breakdown,
        period,
        period_type,
        value as previous_value,
        numerator as previous_numerator
    from valued

)

select
    valued.indicator_code || '|' || valued.period || '|' || valued.area_code
    || '|' || valued.breakdown_type || '|' || valued.breakdown
        as indicator_value_id,
    valued.indicator_code,
    valued.period,
    valued.area_code,
    valued.area_type,
    valued.breakdown_type,
    valued.breakdown,
    valued.numerator,
    valued.denominator,
    valued.value,
    valued.lower_95,
    valued.upper_95,
    valued.unit,
    valued.method,
    valued.polarity,
    comparators.comparator_area_code,
    comparators.comparator_value,
    case
        when valued.unit = 'count' then 'not_compared'
        else
            {{ comparison(
                'valued.value', 'valued.lower_95', 'valued.upper_95',
                'comparators.comparator_value', 'valued.polarity'
            ) }}
    end as comparison,
    previous.previous_value,
    {{ change_absolute('valued.value', 'previous.previous_value') }} as change_absolute,
    {{ change_relative('valued.value', 'previous.previous_value') }} as change_relative,
    case
        when valued.unit <> 'proportion' or valued.period_type <> 'year' then 'not_applicable'
        when
            trend_tested.trend_points is null or trend_tested.trend_points < 5
            then 'insufficient_data'
        when
            trend_tested.trend_variance is null or trend_tested.trend_variance <= 0
            then 'no_significant_change'
        when
            trend_tested.trend_statistic
            * trend_tested.trend_statistic
            / trend_tested.trend_variance
            <= 3.841458820694124
            then 'no_significant_change'
        when trend_tested.trend_statistic > 0 then 'increasing'
        else 'decreasing'
    end as trend,
    valued.follow_up_days > 0
    and {{ dbt.dateadd('day', 'valued.follow_up_days', 'valued.period_end_date') }}
    > valued.data_as_of_date
    or valued.period_type = 'ytd' as is_provisional,
    valued.data_as_of_date,
    valued.period_type,
    valued.data_to
from valued
inner join comparators
    on
        {{ same_indicator_series('valued', 'comparators') }}
        and valued.period = comparators.period
left join previous
    on
        {{ same_indicator_series('valued', 'previous') }}
        and valued.previous_period = previous.period
        and valued.period_type = previous.period_type
left join trend_tested
    on
        valued.indicator_code = trend_tested.indicator_code
        and valued.period = trend_tested.period
        and valued.area_code = trend_tested.area_code
        and valued.breakdown = trend_tested.breakdown
