{#- domain (Methods): change vs previous period, absolute and relative, as in "2,735 fewer people,
    42% decrease": absolute = current - previous; relative = (current - previous) / previous as a
    fraction (-0.42), null when the previous value is null or zero. -#}
{% macro change_absolute(current, previous) -%}
    ({{ current }} - {{ previous }})
{%- endmacro %}

{% macro change_relative(current, previous) -%}
    (case
        when {{ previous }} <> 0
            then ({{ smw.as_double(current) }} - {{ previous }}) / {{ smw.as_double(previous) }}
    end)
{%- endmacro %}
