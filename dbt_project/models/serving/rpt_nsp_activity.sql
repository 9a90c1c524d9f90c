{#- Published NSP activity per local authority and financial year, with disclosure control
    (domain: Disclosure control). Only the demo region's local authorities are published. -#}
with

activity as (

    select * from {{ ref('fct_nsp_area_periods') }}

),

areas as (

    select * from {{ ref('areas') }}

),

flagged as (

    select
        activity.area_code,
        areas.area_name,
        activity.period,
        activity.clients,
        activity.visits,
        activity.needles,
        {{ is_primary_suppressed('activity.clients') }} as is_clients_suppressed,
        {{ is_primary_suppressed('activity.visits') }} as is_visits_suppressed
    from activity
    inner join areas
        on activity.area_code = areas.area_code
    where areas.area_type = 'la'

)

select
    cast(area_code as {{ dbt.type_string() }}) as area_code,
    cast(area_name as {{ dbt.type_string() }}) as area_name,
    cast(period as {{ dbt.type_string() }}) as period,
    cast({{ published_count('clients', 'is_clients_suppressed or is_visits_suppressed') }} as {{ dbt.type_bigint() }}) as clients,
    cast({{ published_count('visits', 'is_clients_suppressed or is_visits_suppressed') }} as {{ dbt.type_bigint() }}) as visits,
    cast(case when is_clients_suppressed or is_visits_suppressed then null else needles end as {{ dbt.type_bigint() }}) as needles,
    (is_clients_suppressed or is_visits_suppressed) as is_suppressed,
    cast('{{ var("disclosure_policy") }}' as {{ dbt.type_string() }}) as disclosure_policy
from flagged
