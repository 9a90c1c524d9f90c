{#- domain (Cohorts): the treatment episodes a person-level measure reads, stated once: those
    linked to a person (an incomplete attributor leaves person_id null) with a referral date (the
    date that places an episode in a period and a journey). Episodes without either cannot be
    counted per person: they are left out of every cohort, and data quality reports them (the
    row problems of fct_row_problems). The body of an import CTE:
    `episodes as ( {{ person_episodes() }} )`; `where` adds a condition (the models kept per
    person pass the people they recompute: smw.people_to_rebuild_filter). -#}
{% macro person_episodes(where=none) -%}
    select * from {{ ref('int_treatment_episodes_grouped') }}
    where person_id is not null and referral_date is not null{% if where %} and {{ where }}{% endif %}
{%- endmacro %}
