{#- As an aggregate: the id of the group's row with the latest date (ties: the larger id), or
    null when no row has a date. It is the largest "date then id" string cut after the date's 10
    ISO characters, so one grouping can take the latest of several things (an episode, a
    discharge) beside its other aggregates, where a row_number() window for each would hold every
    row again and need a join back (int_treatment_person_periods: over 2 GB at scale 10). The
    order is the one `order by date desc, id desc` gives, as id is a string. -#}
{% macro latest_id_by_date(date, id) -%}
    substring(max(cast({{ date }} as {{ dbt.type_string() }}) || {{ id }}), 11)
{%- endmacro %}
