{#- domain (Methods: estimate_bounds): unmet need at one bound of a prevalence estimate, the
    share of the estimate not in treatment, never below 0:
    max(0, estimate - treated) / estimate. It increases with the estimate, so the estimate's
    lower and upper 95% bounds give the interval's lower and upper ends. -#}
{% macro estimate_shortfall(estimate, treated) -%}
    (case
        when {{ estimate }} - coalesce({{ treated }}, 0) < 0 then 0
        else {{ estimate }} - coalesce({{ treated }}, 0)
    end) / {{ estimate }}
{%- endmacro %}
