{#- The indicator catalogue as published: what a BI tool shows beside a number, with the first
    and latest financial year that has published values (whole or to date). -#}
with

indicators as (

    select * from {{ ref('dim_indicators') }}

),

published as (

    select indicator_code, min(period) as first_period, max(period) as latest_period
    from {{ ref('rpt_indicator_values') }}
    where period_type in ('year', 'ytd')
    group by indicator_code

)

select
    cast(indicators.indicator_code as {{ dbt.type_string() }}) as indicator_code,
    cast(indicators.title as {{ dbt.type_string() }}) as title,
    cast(indicators.definition as {{ dbt.type_string() }}) as definition,
    cast(indicators.numerator_text as {{ dbt.type_string() }}) as numerator_text,
    cast(indicators.denominator_text as {{ dbt.type_string() }}) as denominator_text,
    cast(indicators.unit as {{ dbt.type_string() }}) as unit,
    cast(indicators.multiplier as {{ smw.type_double() }}) as multiplier,
    cast(indicators.polarity as {{ dbt.type_string() }}) as polarity,
    cast(indicators.method as {{ dbt.type_string() }}) as method,
    cast(indicators.source as {{ dbt.type_string() }}) as source,
    cast(indicators.follow_up_days as {{ dbt.type_int() }}) as follow_up_days,
    cast(indicators.breakdown_types as {{ dbt.type_string() }}) as breakdown_types,
    cast(indicators.comparator as {{ dbt.type_string() }}) as comparator,
    cast(published.first_period as {{ dbt.type_string() }}) as first_period,
    cast(published.latest_period as {{ dbt.type_string() }}) as latest_period
from indicators
left join published
    on indicators.indicator_code = published.indicator_code
