{#- domain: a region is rolled up (and is a comparator) only where the demo holds two or more of
    its local authorities. A one-member region would repeat its only area (Leicestershire is the
    demo's one East Midlands authority), and "similar to the region" would compare the area with
    itself; such an area is compared with England where benchmarked and otherwise not compared.
    areas_alias names the areas seed rows being rolled up to their parent_code. -#}
{% macro in_rolled_up_region(areas_alias='areas') -%}
    {{ areas_alias }}.parent_code in (
        select member_areas.parent_code
        from {{ ref('areas') }} as member_areas
        where member_areas.area_type = 'la'
        group by member_areas.parent_code
        having count(*) >= 2
    )
{%- endmacro %}
