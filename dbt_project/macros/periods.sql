{#- domain (Time): reporting periods are financial years, 1 April to 31 March, written 2020-21. -#}
{% macro financial_year(date_column) -%}
    case
        when {{ date_column }} is null then null
        when extract(month from {{ date_column }}) >= 4
            then {{ smw.financial_year_label("extract(year from " ~ date_column ~ ")") }}
        else {{ smw.financial_year_label("extract(year from " ~ date_column ~ ") - 1") }}
    end
{%- endmacro %}

{% macro financial_year_label(start_year) -%}
    {{ dbt.concat([
        "cast(cast(" ~ start_year ~ " as integer) as " ~ dbt.type_string() ~ ")",
        "'-'",
        dbt.right("cast(cast(" ~ start_year ~ " + 1 as integer) as " ~ dbt.type_string() ~ ")", "2"),
    ]) }}
{%- endmacro %}

{#- The first day of the financial year a label names ('2020-21' -> 2020-04-01). -#}
{% macro financial_year_start(period) -%}
    {{ dbt.cast(dbt.concat(["substring(" ~ period ~ ", 1, 4)", "'-04-01'"]), api.Column.translate_type("date")) }}
{%- endmacro %}

{#- domain (Time): an episode is in treatment in a period (a financial year or any window) if it
    overlaps it: referred by the period's end and not discharged before its start
    (referral_date <= end and (discharge_date empty or >= start)). The one statement of the rule
    for every model that joins episodes to periods. -#}
{% macro episode_overlaps(episode, start_date, end_date) -%}
    ({{ episode }}.referral_date <= {{ end_date }}
    and ({{ episode }}.discharge_date is null or {{ episode }}.discharge_date >= {{ start_date }}))
{%- endmacro %}
