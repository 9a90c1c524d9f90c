{#- England figures for comparison (national_benchmarks extract), in the shape of the local
    indicator counts. An empty breakdown means 'all'. -#}
with

benchmarks as (

    select * from {{ ref('stg_reference__national_benchmarks') }}

)

select
    indicator_code,
    period,
    'E92000001' as area_code,
    case
        when breakdown is null then 'all'
        when
            lower(breakdown) in ('opiate', 'non_opiate', 'non_opiate_alcohol', 'alcohol_only')
            then 'substance_group'
        when lower(breakdown) in ('male', 'female') then 'sex'
        else 'other'
    end as breakdown_type,
    coalesce(lower(breakdown), 'all') as breakdown,
    cast(numerator as {{ smw.type_double() }}) as numerator,
    cast(denominator as {{ smw.type_double() }}) as denominator
from benchmarks
where indicator_code is not null and period is not null
