{#- Numerator and denominator rows of one indicator for each local authority of the demo region
    and for the region as a whole. The region row aggregates the same records again (it is not a
    sum of the local rows), so distinct-person counts stay distinct across the region.
    relation must have period and an area column; numerator/denominator are aggregate
    expressions over it. -#}
{% macro indicator_counts(relation, indicator_code, breakdown_type, breakdown, numerator, denominator='null', area='area_code', where='1 = 1') -%}
    {#- a literal breakdown ('all') is not grouped by: PostgreSQL rejects constants in GROUP BY -#}
    {%- set group_breakdown = '' if breakdown.strip().startswith("'") else ', ' ~ breakdown -%}
    select
        '{{ indicator_code }}' as indicator_code,
        source_rows.period,
        source_rows.{{ area }} as area_code,
        '{{ breakdown_type }}' as breakdown_type,
        {{ breakdown }} as breakdown,
        cast({{ numerator }} as {{ smw.type_double() }}) as numerator,
        cast({{ denominator }} as {{ smw.type_double() }}) as denominator
    from {{ relation }} as source_rows
    inner join {{ ref('areas') }} as areas
        on source_rows.{{ area }} = areas.area_code and areas.area_type = 'la'
    where {{ where }}
    group by source_rows.period, source_rows.{{ area }}{{ group_breakdown }}

    union all

    select
        '{{ indicator_code }}' as indicator_code,
        source_rows.period,
        areas.parent_code as area_code,
        '{{ breakdown_type }}' as breakdown_type,
        {{ breakdown }} as breakdown,
        cast({{ numerator }} as {{ smw.type_double() }}) as numerator,
        cast({{ denominator }} as {{ smw.type_double() }}) as denominator
    from {{ relation }} as source_rows
    inner join {{ ref('areas') }} as areas
        on
            source_rows.{{ area }} = areas.area_code
            and areas.area_type = 'la'
    {{ join_rolled_up_region('areas', 'source_rows.period') }}
    where {{ where }}
    group by source_rows.period, areas.parent_code{{ group_breakdown }}
{%- endmacro %}
