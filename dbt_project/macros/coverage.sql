{#- domain (Periods): the coverage rule, stated once for int_source_coverage_summarised (per
    source) and int_source_coverage_own_years (per source and area). A year is covered from the
    first year whose volume (records of the CTE `events`: source, keys, event_date) reaches 10% of
    the busiest year's, so a stray date does not stretch the coverage back, to the last year the
    data reach the end of (`latest`: data_as_of_date per source and keys; no part-years).
    Emits the CTEs yearly, busiest and covered (source, keys, first_period, last_period). -#}
{% macro coverage_years_ctes(keys=[]) -%}
{%- set by = ['source'] + keys -%}
yearly as (

    select
        {% for k in by %}{{ k }},
        {% endfor -%}
        {{ smw.financial_year('event_date') }} as period,
        count(*) as records
    from events
    where event_date is not null
    group by {% for k in by %}{{ k }}, {% endfor %}{{ smw.financial_year('event_date') }}

),

busiest as (

    select {% for k in by %}{{ k }}, {% endfor %}max(records) as max_records
    from yearly
    group by {{ by | join(', ') }}

),

covered as (

    select
        {% for k in by %}yearly.{{ k }},
        {% endfor -%}
        min(yearly.period) as first_period,
        max(case when periods.end_date <= latest.data_as_of_date then yearly.period end)
            as last_period
    from yearly
    inner join busiest
        on {% for k in by %}yearly.{{ k }} = busiest.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    inner join latest
        on {% for k in by %}yearly.{{ k }} = latest.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    inner join periods
        on yearly.period = periods.period
    where yearly.records >= 0.1 * busiest.max_records
    group by {% for k in by %}yearly.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}

)
{%- endmacro %}
