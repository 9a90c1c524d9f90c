{#- Labels and display order for every breakdown published in rpt_indicator_values, so reports
    and BI tools show words, not codes. A nested breakdown ('male|25-29') is labelled part by
    part: parent (male) and item (25-29). Values without a label keep their code and sort at 50,
    between the set orders, by code: plain age bands ('18-24', ...) sort by code after 'under 18'
    (0) and before '50 and over' (90) and 'not known' (99). -#}
with

published as (

    select distinct breakdown_type, breakdown
    from {{ ref('rpt_indicator_values') }}

),

labels as (

    select * from {{ ref('dim_breakdown_labels') }}

),

{%- set dimensions = breakdown_dimensions() %}

parts as (

    select
        breakdown_type,
        breakdown,
        case when breakdown_type in (
            {%- for t, d in dimensions.items() if d[1] %}'{{ t }}'{% if not loop.last %},
            {% endif %}{% endfor -%}
        ) then {{ dbt.split_part('breakdown', "'|'", 1) }} end as parent_code,
        case when breakdown_type in (
            {%- for t, d in dimensions.items() if d[1] %}'{{ t }}'{% if not loop.last %},
            {% endif %}{% endfor -%}
        ) then {{ dbt.split_part('breakdown', "'|'", 2) }} else breakdown end as item_code,
        case breakdown_type
            {%- for t, d in dimensions.items() if d[1] %}
            when '{{ t }}' then '{{ d[0] }}'
            {%- endfor %}
        end as parent_dimension,
        case breakdown_type
            {%- for t, d in dimensions.items() %}
            when '{{ t }}' then '{{ d[1] or d[0] }}'
            {%- endfor %}
            else breakdown_type
        end as item_dimension
    from published

),

labelled as (

    select
        parts.breakdown_type,
        parts.breakdown,
        parts.parent_code,
        parent_labels.label as parent_label,
        parent_labels.sort_order as parent_sort_order,
        parts.item_code,
        coalesce(item_labels.label, parts.item_code) as item_label,
        coalesce(item_labels.sort_order, 50) as item_sort_order
    from parts
    left join labels as parent_labels
        on
            parts.parent_dimension = parent_labels.dimension
            and parts.parent_code = parent_labels.code
    left join labels as item_labels
        on parts.item_dimension = item_labels.dimension and parts.item_code = item_labels.code

)

select
    cast(breakdown_type || '|' || breakdown as {{ dbt.type_string() }}) as breakdown_label_id,
    cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
    cast(breakdown as {{ dbt.type_string() }}) as breakdown,
    cast(
        case
            when parent_code is null then item_label
            else coalesce(parent_label, parent_code) || ': ' || item_label
        end as {{ dbt.type_string() }}
    ) as label,
    cast(parent_code as {{ dbt.type_string() }}) as parent_code,
    cast(coalesce(parent_label, parent_code) as {{ dbt.type_string() }}) as parent_label,
    cast(parent_sort_order as {{ dbt.type_int() }}) as parent_sort_order,
    cast(item_code as {{ dbt.type_string() }}) as item_code,
    cast(item_label as {{ dbt.type_string() }}) as item_label,
    cast(item_sort_order as {{ dbt.type_int() }}) as item_sort_order
from labelled
