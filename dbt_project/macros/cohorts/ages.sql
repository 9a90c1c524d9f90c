{#- domain (People): age is computed at the event date, or at the period midpoint (30 September)
    for period counts. Only the birth month is stored, so age is exact except within the birth
    month itself, where the birthday is taken to have passed (the day is unknown). -#}
{% macro age_at(birth_month, on_date) -%}
    case
        when {{ birth_month }} is null or {{ on_date }} is null then null
        else cast(
            extract(year from {{ on_date }})
            - cast(substring({{ birth_month }}, 1, 4) as integer)
            - case
                when extract(month from {{ on_date }}) < cast(substring({{ birth_month }}, 6, 2) as integer)
                    then 1
                else 0
            end
            as integer
        )
    end
{%- endmacro %}

{#- An age band from the youngest band's lower edge (first) and each band's upper edge
    (upper_edges, ascending): 'unknown' for a null age, 'under_<first>' below the first band,
    '<low>-<high>' within a band, '<last edge + 1>+' above the last. -#}
{% macro age_band_case(age, first, upper_edges) -%}
    {%- set band = namespace(low=first) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < {{ first }} then 'under_{{ first }}'
        {%- for high in upper_edges %}
        when {{ age }} <= {{ high }} then '{{ band.low }}-{{ high }}'
        {%- set band.low = high + 1 %}
        {%- endfor %}
        else '{{ band.low }}+'
    end
{%- endmacro %}

{#- domain (People): age bands 18-24, 25-29, ... 45-49, 50+ for DIP-style tables. -#}
{% macro age_band_dip(age) -%}
    {{ smw.age_band_case(age, 18, [24, 29, 34, 39, 44, 49]) }}
{%- endmacro %}

{#- domain (People): 15-24, 25-34, 35-64 to match prevalence estimates. -#}
{% macro age_band_prevalence(age) -%}
    {{ smw.age_band_case(age, 15, [24, 34, 64]) }}
{%- endmacro %}

{#- Ten-year bands as in the treatment profiles (18-29, 30-39, ... 80+). -#}
{% macro age_band_treatment(age) -%}
    {{ smw.age_band_case(age, 18, [29, 39, 49, 59, 69, 79]) }}
{%- endmacro %}

{#- Five-year bands for IMS client profiles ("75% aged between 25 and 44"). -#}
{% macro age_band_five_year(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 15 then 'under_15'
        when {{ age }} >= 65 then '65+'
        else {{ dbt.concat([
            "cast(cast(floor(" ~ age ~ " / 5.0) * 5 as integer) as " ~ dbt.type_string() ~ ")",
            "'-'",
            "cast(cast(floor(" ~ age ~ " / 5.0) * 5 + 4 as integer) as " ~ dbt.type_string() ~ ")",
        ]) }}
    end
{%- endmacro %}
