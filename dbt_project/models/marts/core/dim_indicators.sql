{#- The indicator catalogue (seed) with the first and latest period each indicator has values
    for: the metadata a BI tool shows beside a number. -#}
with

catalogue as (

    select * from {{ ref('indicator_catalogue') }}

)

select
    indicator_code,
    title,
    definition,
    numerator_text,
    denominator_text,
    unit,
    multiplier,
    polarity,
    method,
    source,
    follow_up_days,
    breakdown_types,
    comparator
from catalogue
