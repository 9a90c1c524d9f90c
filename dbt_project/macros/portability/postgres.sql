{#- A planner hint, as a pre-hook: PostgreSQL cannot estimate joins between the rows of a CTE
    on several keys at once (it multiplies default selectivities down to "1 row") and then
    chooses nested loops over tens of thousands of rows: fct_indicator_values took 596 s at the
    test scale, 0.8 s with hash joins. SET LOCAL lasts for the model's own transaction. -#}
{% macro prefer_hash_joins() -%}
    {{ return(adapter.dispatch('prefer_hash_joins', 'smw')()) }}
{%- endmacro %}

{% macro default__prefer_hash_joins() -%}
{%- endmacro %}

{% macro postgres__prefer_hash_joins() -%}
    set local enable_nestloop = off
{%- endmacro %}
