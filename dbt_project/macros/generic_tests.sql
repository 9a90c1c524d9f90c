{#- Generic tests written here because the dbt hub cannot be reached (no dbt_utils). -#}
{% test unique_combination_of_columns(model, combination) %}
    select {{ combination | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ combination | join(', ') }}
    having count(*) > 1
{% endtest %}
