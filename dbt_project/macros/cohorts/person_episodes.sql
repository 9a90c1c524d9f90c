{#- domain (Cohorts): the treatment episodes a person-level measure reads, stated once: those
    linked to a person (an incomplete attributor leaves person_id null) with a referral date (the
    date that places an episode in a period and a journey). Episodes without either cannot be
    counted per person: they are left out of every cohort, and data quality reports them (the
    row problems of fct_row_problems). The body of an import CTE:
    `episodes as ( {{ person_episodes() }} )`. -#}
{% macro person_episodes() -%}
    select * from {{ ref('int_treatment_episodes_grouped') }}
    where person_id is not null and referral_date is not null
{%- endmacro %}
