{#- domain (Periods): an area whose extracts begin before the source's other areas' (Salford's
    treatment extracts, 2006-07 and 2007-08, for the city needs assessment; Leicestershire's,
    from 2009-10, the year its JSNA chapter compares with) is published for its own years, by the
    same rule as int_source_coverage_summarised applied to the area's own records: from the
    first year whose volume reaches 10% of the area's busiest year, to the last year its data
    reach the end of; data_as_of_date is the end of the area's latest month (its extracts are
    monthly files). "Before the others": its first year is earlier than the first year most of
    the source's areas share (ties, the earlier), so one area's history never stretches another
    area's years; int_source_coverage_summarised leaves these areas out of the source's main
    coverage. Areas whose data begin with the others (every Cheshire & Merseyside authority)
    have no row here and keep the source's coverage. Treatment, drug tests (Salford's custody
    suite, 2007-08, by the suite's area) and DIP contacts (Salford's CJIT, 2007-08, by the
    team's area): no other person-level source describes such an area. -#}
with

episodes as (

    select * from {{ ref('int_ndtms_episodes_accumulated') }}

),

periods as (

    select * from {{ ref('int_financial_years_generated') }}

),

events as (

    {#- the records the source's coverage counts, of a known area -#}
    select source, area_code, event_date
    from ({{ smw.person_records_by_area() }}) as person_records
    where area_code is not null

),

latest_recorded as (

    select source, area_code, max(event_date) as data_as_of_date
    from (
        select source, area_code, event_date from events
        union all
        select 'treatment' as source, client_la_code as area_code, referral_date as event_date
        from episodes
        where client_la_code is not null
    ) as all_dates
    where event_date is not null
    group by source, area_code

),

latest as (

    {#- the area's extracts are monthly files: they report to the end of its latest month, so a
        small area with no record on its last day (31 March 2008) still covers its last year -#}
    select
        source,
        area_code,
        cast({{ dbt.last_day('data_as_of_date', 'month') }} as date) as data_as_of_date
    from latest_recorded

),

{{ smw.coverage_years_ctes(keys=['area_code']) }},

typical as (

    {#- the first year most of the source's areas share (ties, the earlier) -#}
    select source, first_period
    from (
        select
            source,
            first_period,
            row_number() over (
                partition by source order by count(*) desc, first_period
            ) as rank_in_source
        from covered
        group by source, first_period
    ) as firsts
    where rank_in_source = 1

)

select
    covered.source,
    covered.area_code,
    covered.first_period,
    covered.last_period,
    latest.data_as_of_date
from covered
inner join latest
    on covered.source = latest.source and covered.area_code = latest.area_code
inner join typical
    on covered.source = typical.source
where covered.first_period < typical.first_period
