{#- The published indicator values (domain: Indicators, Disclosure control): every row of
    fct_indicator_values with its disclosure decision. A withheld row keeps its keys and says so
    (is_suppressed, suppression), and everything derived from its counts is null: numerator,
    denominator, value, interval, comparison, change and trend. A change is also withheld when the
    previous year's row was. Under the nhs_1to7 policy, counts are rounded to the nearest 5 and
    values and intervals are recomputed from the rounded counts, so no exact count leaks. The
    comparator value is the comparator row's published value. period_type says whether a row is
    a whole year, a year to date (provisional, to data_to), a quarter or rolling twelve months. -#}
with

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}

),

disclosure as (

    select * from {{ ref('fct_indicator_disclosure') }}

),

indicators as (

    select * from {{ ref('dim_indicators') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

periods as (

    select * from {{ ref('dim_reporting_periods') }}

),

previous_disclosure as (

    select
        indicator_values.indicator_code,
        indicator_values.area_code,
        indicator_values.breakdown_type,
        indicator_values.breakdown,
        indicator_values.period,
        indicator_values.period_type,
        disclosure.is_suppressed
    from indicator_values
    inner join disclosure
        on indicator_values.indicator_value_id = disclosure.indicator_value_id

),

joined as (

    select
        indicator_values.*,
        disclosure.is_suppressed,
        disclosure.suppression,
        disclosure.disclosure_policy,
        coalesce(previous_disclosure.is_suppressed, false) as is_previous_suppressed,
        indicators.title as indicator_title,
        indicators.multiplier as indicator_multiplier,
        areas.area_name
    from indicator_values
    inner join disclosure
        on indicator_values.indicator_value_id = disclosure.indicator_value_id
    inner join indicators
        on indicator_values.indicator_code = indicators.indicator_code
    inner join areas
        on indicator_values.area_code = areas.area_code
    inner join periods
        on indicator_values.period = periods.period
    left join previous_disclosure
        on
            {{ same_indicator_series('indicator_values', 'previous_disclosure') }}
            and periods.previous_period = previous_disclosure.period
            and indicator_values.period_type = previous_disclosure.period_type

),

published as (

    select
        *,
        {%- if var('disclosure_policy') == 'nhs_1to7' %}
        case when is_suppressed then null else round(numerator / 5.0) * 5 end as published_numerator,
        case when is_suppressed or unit = 'count' or method = 'estimate_bounds' then denominator
            else round(denominator / 5.0) * 5 end as published_denominator
        {%- else %}
        case when is_suppressed then null else numerator end as published_numerator,
        case when is_suppressed then null else denominator end as published_denominator
        {%- endif %}
    from joined

),

published_rows as (

    select
        cast(indicator_value_id as {{ dbt.type_string() }}) as indicator_value_id,
        cast(indicator_code as {{ dbt.type_string() }}) as indicator_code,
        cast(indicator_title as {{ dbt.type_string() }}) as indicator_title,
        cast(period as {{ dbt.type_string() }}) as period,
        cast(area_code as {{ dbt.type_string() }}) as area_code,
        cast(area_name as {{ dbt.type_string() }}) as area_name,
        cast(area_type as {{ dbt.type_string() }}) as area_type,
        cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(
            case
                when is_suppressed then null else published_numerator
            end as {{ smw.type_double() }}
        )
            as numerator,
        cast(
            case
                when is_suppressed then null else published_denominator
            end as {{ smw.type_double() }}
        )
            as denominator,
        {%- if var('disclosure_policy') == 'nhs_1to7' %}
        cast(case when is_suppressed then null when unit = 'count' then published_numerator when published_denominator > 0 then published_numerator / published_denominator * indicator_multiplier end as {{ smw.type_double() }}) as value,
        cast(case
            when is_suppressed then null
            when method = 'wilson' then {{ wilson_lower('published_numerator', 'published_denominator') }}
            when method = 'count_exact_byar' then {{ count_ci_lower('published_numerator') }}
            else lower_95
        end as {{ smw.type_double() }}) as lower_95,
        cast(case
            when is_suppressed then null
            when method = 'wilson' then {{ wilson_upper('published_numerator', 'published_denominator') }}
            when method = 'count_exact_byar' then {{ count_ci_upper('published_numerator') }}
            else upper_95
        end as {{ smw.type_double() }}) as upper_95,
        {%- else %}
        cast(case when is_suppressed then null else value end as {{ smw.type_double() }}) as value,
        cast(case when is_suppressed then null else lower_95 end as {{ smw.type_double() }})
            as lower_95,
        cast(case when is_suppressed then null else upper_95 end as {{ smw.type_double() }})
            as upper_95,
        {%- endif %}
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(polarity as {{ dbt.type_string() }}) as polarity,
        cast(comparator_area_code as {{ dbt.type_string() }}) as comparator_area_code,
        cast(comparator_value as {{ smw.type_double() }}) as comparator_value,
        cast(
            case when is_suppressed then 'suppressed' else comparison end as {{ dbt.type_string() }}
        )
            as comparison,
        cast(
            case
                when is_suppressed or is_previous_suppressed then null else change_absolute
            end as {{ smw.type_double() }}
        ) as change_absolute,
        cast(
            case
                when is_suppressed or is_previous_suppressed then null else change_relative
            end as {{ smw.type_double() }}
        ) as change_relative,
        cast(case when is_suppressed then 'suppressed' else trend end as {{ dbt.type_string() }})
            as trend,
        is_provisional,
        is_suppressed,
        cast(suppression as {{ dbt.type_string() }}) as suppression,
        cast(disclosure_policy as {{ dbt.type_string() }}) as disclosure_policy,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(data_to as date) as data_to
    from published

)

{# The comparator's value as published in its own row: null when that row is withheld, and
    under nhs_1to7 the value from its rounded counts, so a comparator never reveals what its
    own row does not. #}

select
    published_rows.indicator_value_id,
    published_rows.indicator_code,
    published_rows.indicator_title,
    published_rows.period,
    published_rows.area_code,
    published_rows.area_name,
    published_rows.area_type,
    published_rows.breakdown_type,
    published_rows.breakdown,
    published_rows.numerator,
    published_rows.denominator,
    published_rows.value,
    published_rows.lower_95,
    published_rows.upper_95,
    published_rows.unit,
    published_rows.polarity,
    published_rows.comparator_area_code,
    comparators.value as comparator_value,
    published_rows.comparison,
    published_rows.change_absolute,
    published_rows.change_relative,
    published_rows.trend,
    published_rows.is_provisional,
    published_rows.is_suppressed,
    published_rows.suppression,
    published_rows.disclosure_policy,
    published_rows.period_type,
    published_rows.data_to
from published_rows
left join published_rows as comparators
    on
        {{ same_indicator_series(
            'published_rows', 'comparators', left_area_code='published_rows.comparator_area_code'
        ) }}
        and published_rows.period = comparators.period
