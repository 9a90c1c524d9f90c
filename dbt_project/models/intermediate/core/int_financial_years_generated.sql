{#- domain (Time): financial years, 1 April - 31 March, labelled 2020-21; the midpoint for ages
    at period level is 30 September. Generated for the years the project can report on. -#}
{%- set first_year = var('first_financial_year', 2005) -%}
{%- set last_year = var('last_financial_year', 2030) -%}
with

years as (

    {% for y in range(first_year, last_year + 1) -%}
    select {{ y }} as start_year
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

labelled as (

    select
        {{ smw.financial_year_label('start_year') }} as period,
        start_year,
        {{ dbt.cast(
            dbt.concat(["cast(start_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]),
            api.Column.translate_type("date")
        ) }} as start_date,
        {{ dbt.cast(
            dbt.concat(["cast(start_year + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]),
            api.Column.translate_type("date")
        ) }} as end_date,
        {{ dbt.cast(
            dbt.concat(["cast(start_year as " ~ dbt.type_string() ~ ")", "'-09-30'"]),
            api.Column.translate_type("date")
        ) }} as midpoint_date
    from years

)

select
    period,
    start_year,
    start_date,
    end_date,
    midpoint_date,
    {{ smw.financial_year_label('start_year - 1') }} as previous_period
from labelled
