{#- domain (Disclosure control): after secondary suppression, no group with a published total
    has exactly one suppressed cell (which would be the total minus the published cells). -#}
{#- In Dagster, a check on the cells it protects. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_disclosure_cells'}}}) }}

with

members as (

    select * from {{ ref('fct_disclosure_group_members') }}

),

cells as (

    select * from {{ ref('fct_disclosure_cells') }}

)

select
    members.group_id,
    sum(case when cells.is_suppressed and not members.is_total then 1 else 0 end) as suppressed_cells,
    max(case when members.is_total and not cells.is_suppressed then 1 else 0 end) as is_total_published
from members
inner join cells
    on members.cell_id = cells.cell_id
group by members.group_id
having
    sum(case when cells.is_suppressed and not members.is_total then 1 else 0 end) = 1
    and max(case when members.is_total and not cells.is_suppressed then 1 else 0 end) = 1
