{#- domain (Methods): proportions, 95% interval by the Wilson score method, as Public Health
    England's indicator methods (PHEindicatormethods wilson_lower / wilson_upper, used by
    phe_proportion):
        (2x + z^2 -/+ z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
    for x cases out of n. The interval is on the proportion x/n; the caller scales it (x100 for a
    percentage). Null when n is null or not positive, or x is null, negative or above n (PHE
    stops with an error there). At the ends the formula is 0 (x = 0) and 1 (x = n) only up to
    rounding (1 - 2e-16), which would put the bound on the wrong side of the value; they are
    returned exactly, so lower <= x/n <= upper always holds. -#}
{% macro wilson_lower(numerator, denominator, confidence=0.95) -%}
    {{ smw.wilson_bound(numerator, denominator, confidence, '-') }}
{%- endmacro %}

{% macro wilson_upper(numerator, denominator, confidence=0.95) -%}
    {{ smw.wilson_bound(numerator, denominator, confidence, '+') }}
{%- endmacro %}

{% macro wilson_bound(numerator, denominator, confidence, sign) -%}
    {%- set z = smw.z_score(confidence) -%}
    {%- set x = smw.as_double(numerator) -%}
    {%- set n = smw.as_double(denominator) -%}
    {%- set edge = x ~ ' = 0 then 0' if sign == '-' else x ~ ' = ' ~ n ~ ' then 1' %}
    (case
        when {{ n }} > 0 and {{ x }} >= 0 and {{ x }} <= {{ n }}
            then case
                when {{ edge }}
                else (
                    2 * {{ x }} + {{ z * z }}
                    {{ sign }} {{ z }} * sqrt({{ z * z }} + 4 * {{ x }} * (1 - {{ x }} / {{ n }}))
                ) / (2 * ({{ n }} + {{ z * z }}))
            end
    end)
{%- endmacro %}
