{#- Join condition: left and right rows are of the same indicator series, the grain of
    fct_indicator_values without its period (indicator_code, area_code, breakdown_type,
    breakdown). The caller adds how the periods relate (the same period, the previous period,
    the last five years). left_area_code is the left-hand area column when it is not
    <left>.area_code (a comparator's area: comparator_area_code). -#}
{% macro same_indicator_series(left, right, left_area_code=none) -%}
    {{ left }}.indicator_code = {{ right }}.indicator_code
    and {{ left_area_code or left ~ '.area_code' }} = {{ right }}.area_code
    and {{ left }}.breakdown_type = {{ right }}.breakdown_type
    and {{ left }}.breakdown = {{ right }}.breakdown
{%- endmacro %}
