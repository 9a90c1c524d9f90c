{#- The latest published year of every indicator, per area and breakdown: what a dashboard
    tile shows (a year to date when the latest year is not yet covered to its end; quarters and
    rolling twelve months are in rpt_indicator_values). -#}
with

indicator_values as (

    select * from {{ ref('rpt_indicator_values') }}
    where period_type in ('year', 'ytd')

),

latest as (

    select indicator_code, max(period) as latest_period
    from indicator_values
    group by indicator_code

)

select
    indicator_values.indicator_value_id,
    indicator_values.indicator_code,
    indicator_values.indicator_title,
    indicator_values.period,
    indicator_values.area_code,
    indicator_values.area_name,
    indicator_values.area_type,
    indicator_values.breakdown_type,
    indicator_values.breakdown,
    indicator_values.numerator,
    indicator_values.denominator,
    indicator_values.value,
    indicator_values.lower_95,
    indicator_values.upper_95,
    indicator_values.unit,
    indicator_values.comparator_area_code,
    indicator_values.comparator_value,
    indicator_values.comparison,
    indicator_values.change_absolute,
    indicator_values.change_relative,
    indicator_values.trend,
    indicator_values.is_provisional,
    indicator_values.is_suppressed,
    indicator_values.disclosure_policy,
    indicator_values.period_type,
    indicator_values.data_to
from indicator_values
inner join latest
    on
        indicator_values.indicator_code = latest.indicator_code
        and indicator_values.period = latest.latest_period
