{#- domain (Methods): rates and counts, "exact Poisson below 10 and Byar's method from 10", as
    PHEindicatormethods phe_rate (if_else(x < 10, exact, byars)). The interval is on the count;
    for a rate the caller divides by denominator x multiplier. -#}
{% macro count_ci_lower(count, confidence=0.95) -%}
    (case
        when {{ count }} < 10 then {{ smw.exact_poisson_lower(count, confidence) }}
        else {{ smw.byar_lower(count, confidence) }}
    end)
{%- endmacro %}

{% macro count_ci_upper(count, confidence=0.95) -%}
    (case
        when {{ count }} < 10 then {{ smw.exact_poisson_upper(count, confidence) }}
        else {{ smw.byar_upper(count, confidence) }}
    end)
{%- endmacro %}
