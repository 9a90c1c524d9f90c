{#- domain (Methods): rates and counts, 95% interval by Byar's method (Breslow & Day 1987), as
    PHEindicatormethods byars_lower / byars_upper with z = qnorm(1 - alpha / 2):
        lower = x (1 - 1/(9x) - z/(3 sqrt(x)))^3
        upper = (x + 1) (1 - 1/(9(x + 1)) + z/(3 sqrt(x + 1)))^3
    The interval is on the count; for a rate the caller divides by denominator x multiplier.
    As PHE, a lower limit that comes out negative (tiny counts at high confidence) is null, and so
    is the lower limit of a zero count (undefined: PHE returns NaN); negative counts are null. -#}
{% macro byar_lower(count, confidence=0.95) -%}
    {%- set z = smw.z_score(confidence) -%}
    {%- set x = smw.as_double(count) -%}
    {%- set base = "1 - 1 / (9 * " ~ x ~ ") - " ~ z ~ " / (3 * sqrt(" ~ x ~ "))" -%}
    (case
        when {{ x }} > 0 and {{ base }} >= 0
            then {{ x }} * power({{ base }}, 3)
    end)
{%- endmacro %}

{% macro byar_upper(count, confidence=0.95) -%}
    {%- set z = smw.z_score(confidence) -%}
    {%- set x1 = "(" ~ smw.as_double(count) ~ " + 1)" -%}
    (case
        when {{ x1 }} >= 1
            then {{ x1 }} * power(1 - 1 / (9 * {{ x1 }}) + {{ z }} / (3 * sqrt({{ x1 }})), 3)
    end)
{%- endmacro %}
