{#- domain (Indicators: breakdowns by sex): a record's sex code as a breakdown slice, 'male' (M)
    or 'female' (F); null for indeterminate (I), not known (U) or empty, which sex breakdowns
    and sex shares leave out. -#}
{% macro sex_breakdown(sex) -%}
    case {{ sex }} when 'M' then 'male' when 'F' then 'female' end
{%- endmacro %}
