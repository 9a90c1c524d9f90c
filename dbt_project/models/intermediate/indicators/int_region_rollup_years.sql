{#- domain (Indicators, disclosure): the regions rolled up in each year. A region row is built
    for a year only where two or more of its local authorities have data that year (a mid-year
    population: every demo area has one for each year its extracts cover). A region with one
    authority with data would repeat that authority's row, and a suppressed cell of it could be
    read back from the region (Salford is the demo's only North West authority, and only in
    2006-07 and 2007-08). join_rolled_up_region joins it on parent_code and start_year;
    rollup_key is the two in one column. -#}
with

populations as (

    select * from {{ ref('stg_reference__populations') }}

),

areas as (

    select * from {{ ref('areas') }}

),

members as (

    select
        areas.parent_code,
        populations.year as start_year,
        count(distinct populations.la_code) as authorities
    from populations
    inner join areas
        on populations.la_code = areas.area_code and areas.area_type = 'la'
    where areas.parent_code is not null and populations.year is not null
    group by areas.parent_code, populations.year

)

select
    {{ dbt.concat([
        'parent_code',
        "'|'",
        'cast(cast(start_year as integer) as ' ~ dbt.type_string() ~ ')',
    ]) }} as rollup_key,
    parent_code,
    cast(start_year as integer) as start_year,
    authorities
from members
where authorities >= 2
