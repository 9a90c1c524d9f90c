{#- domain (Methods): one end ('lower' or 'upper') of an indicator value's 95% interval, by the
    indicator's method, in fct_indicator_values (its valued step: the columns numerator,
    denominator, multiplier, method, indicator_code, area_type, count_<side>_95 and the estimate's
    estimate_lower_95/estimate_upper_95/estimate_treated). The two ends are the same rule mirrored:
    - wilson: Wilson's score interval of numerator/denominator;
    - count_exact_byar: the count's exact Poisson or Byar interval (count_<side>_95);
    - estimate_bounds: prev_rate is the estimate's same bound over the population; tx_unmet_need
      the shortfall at the estimate's same bound (it increases with the estimate); any other rate
      with the estimate as denominator takes the opposite bound (a larger estimate, a smaller
      rate); a country row without estimate bounds (England), Wilson's interval. -#}
{% macro interval_bound(side) -%}
    {%- if side not in ('lower', 'upper') -%}
        {{ exceptions.raise_compiler_error("interval_bound: side must be 'lower' or 'upper', not " ~ side) }}
    {%- endif -%}
    {%- set same_bound = 'estimate_' ~ side ~ '_95' -%}
    {%- set opposite_bound = 'estimate_' ~ ('upper' if side == 'lower' else 'lower') ~ '_95' -%}
    {%- set wilson = smw.wilson_lower if side == 'lower' else smw.wilson_upper -%}
    case
        when method = 'wilson' then {{ wilson('numerator', 'denominator') }} * multiplier
        when method = 'count_exact_byar' then count_{{ side }}_95
        when method = 'estimate_bounds' and indicator_code = 'prev_rate' and denominator > 0
            then {{ same_bound }} / denominator * multiplier
        when
            method = 'estimate_bounds'
            and indicator_code = 'tx_unmet_need'
            and {{ same_bound }} > 0
            then {{ smw.estimate_shortfall(same_bound, 'estimate_treated') }} * multiplier
        when
            method = 'estimate_bounds' and {{ opposite_bound }} > 0
            then numerator / {{ opposite_bound }} * multiplier
        when
            method = 'estimate_bounds' and area_type = 'country'
            then {{ wilson('numerator', 'denominator') }} * multiplier
    end
{%- endmacro %}
