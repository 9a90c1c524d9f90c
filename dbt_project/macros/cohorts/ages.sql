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

{#- domain (People): age bands 18-24, 25-29, ... 45-49, 50+ for DIP-style tables. -#}
{% macro age_band_dip(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 18 then 'under_18'
        when {{ age }} <= 24 then '18-24'
        when {{ age }} <= 29 then '25-29'
        when {{ age }} <= 34 then '30-34'
        when {{ age }} <= 39 then '35-39'
        when {{ age }} <= 44 then '40-44'
        when {{ age }} <= 49 then '45-49'
        else '50+'
    end
{%- endmacro %}

{#- domain (People): 15-24, 25-34, 35-64 to match prevalence estimates. -#}
{% macro age_band_prevalence(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 15 then 'under_15'
        when {{ age }} <= 24 then '15-24'
        when {{ age }} <= 34 then '25-34'
        when {{ age }} <= 64 then '35-64'
        else '65+'
    end
{%- endmacro %}

{#- Ten-year bands as in the treatment profiles (18-29, 30-39, ... 80+). -#}
{% macro age_band_treatment(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 18 then 'under_18'
        when {{ age }} <= 29 then '18-29'
        when {{ age }} <= 39 then '30-39'
        when {{ age }} <= 49 then '40-49'
        when {{ age }} <= 59 then '50-59'
        when {{ age }} <= 69 then '60-69'
        when {{ age }} <= 79 then '70-79'
        else '80+'
    end
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
