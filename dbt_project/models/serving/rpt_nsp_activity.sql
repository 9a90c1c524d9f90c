{#- Published NSP activity per local authority (and the region) and financial year: clients,
    visits and needles side by side, taken from the published indicator rows so that the one
    disclosure decision applies (a withheld count is null here too). -#}
with

indicator_values as (

    select * from {{ ref('rpt_indicator_values') }}
    where
        indicator_code in ('nsp_clients', 'nsp_visits', 'nsp_needles') and breakdown = 'all'
        and area_type in ('la', 'region') and period_type in ('year', 'ytd')

)

select
    cast(area_code as {{ dbt.type_string() }}) as area_code,
    cast(max(area_name) as {{ dbt.type_string() }}) as area_name,
    cast(max(area_type) as {{ dbt.type_string() }}) as area_type,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(
        max(case when indicator_code = 'nsp_clients' then numerator end) as {{ dbt.type_bigint() }}
    )
        as clients,
    cast(max(case when indicator_code = 'nsp_visits' then numerator end) as {{ dbt.type_bigint() }})
        as visits,
    cast(
        max(case when indicator_code = 'nsp_needles' then numerator end) as {{ dbt.type_bigint() }}
    )
        as needles,
    cast(
        max(
            case when indicator_code = 'nsp_clients' then change_relative end
        ) as {{ smw.type_double() }}
    ) as clients_change_relative,
    max(case when is_suppressed then 1 else 0 end) = 1 as is_suppressed,
    cast(max(disclosure_policy) as {{ dbt.type_string() }}) as disclosure_policy
from indicator_values
group by area_code, period
