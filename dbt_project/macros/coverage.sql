{#- domain (Periods): the coverage rule, stated once for int_source_coverage_summarised (per
    source) and int_source_coverage_own_years (per source and area). A year is covered from the
    first year whose volume (records of the CTE `events`: source, keys, event_date) reaches 10% of
    the busiest year's, so a stray date does not stretch the coverage back, to the last year the
    data reach the end of (`latest`: data_as_of_date per source and keys; no part-years). Only
    the latest unbroken run of such years counts: Salford's drug tests of 2007-08, years before
    the region's extracts begin, are busy enough to qualify but start no coverage of the
    region's (they are published as Salford's own years, int_source_coverage_own_years).
    Emits the CTEs yearly, busiest, qualifying, latest_island and covered (source, keys,
    first_period, last_period). -#}
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

qualifying as (

    select
        {% for k in by %}yearly.{{ k }},
        {% endfor -%}
        yearly.period,
        periods.end_date,
        {#- consecutive qualifying years share an island number -#}
        periods.start_year - row_number() over (
            partition by {% for k in by %}yearly.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}
            order by periods.start_year
        ) as island
    from yearly
    inner join busiest
        on {% for k in by %}yearly.{{ k }} = busiest.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    inner join periods
        on yearly.period = periods.period
    where yearly.records >= 0.1 * busiest.max_records

),

latest_island as (

    select {% for k in by %}{{ k }}, {% endfor %}max(island) as island
    from qualifying
    group by {{ by | join(', ') }}

),

covered as (

    select
        {% for k in by %}qualifying.{{ k }},
        {% endfor -%}
        min(qualifying.period) as first_period,
        max(case when qualifying.end_date <= latest.data_as_of_date then qualifying.period end)
            as last_period
    from qualifying
    inner join latest_island
        on {% for k in by %}qualifying.{{ k }} = latest_island.{{ k }} and {% endfor %}qualifying.island = latest_island.island
    inner join latest
        on {% for k in by %}qualifying.{{ k }} = latest.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    group by {% for k in by %}qualifying.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}

)
{%- endmacro %}

{#- domain (Periods): the dated records of the person-level sources whose records carry an area,
    as both coverage models count them: valid treatment discharges (discharge on or after
    referral: an episode extract reports exits from its start on) by the client's local
    authority, DIP contacts by the CJIT's area, drug tests by the custody suite's area. Columns:
    source, area_code (null where the record names none), event_date. -#}
{% macro person_records_by_area() -%}
    select 'treatment' as source, client_la_code as area_code, discharge_date as event_date
    from {{ ref('int_ndtms_episodes_accumulated') }}
    where discharge_date >= referral_date
    union all
    select 'dip' as source, cjit_code as area_code, contact_date as event_date
    from {{ ref('int_dip_contacts_accumulated') }}
    union all
    select 'drug_test' as source, custody_la_code as area_code, test_date as event_date
    from {{ ref('int_mdt_drug_tests_accumulated') }}
{%- endmacro %}
