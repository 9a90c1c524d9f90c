{#- domain: area_code is an LA code, the region code for the whole region, or E92000001 for
    England. The areas seed holds the demo region's nine local authorities. -#}
with

areas as (

    select * from {{ ref('areas') }}

)

select
    area_code,
    area_name,
    area_type,
    parent_code,
    case when area_type = 'la' then parent_code end as region_code,
    sort_order
from areas
