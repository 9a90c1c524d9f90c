{#- domain (Disclosure control): the groups of cells whose sum is published as a total, within
    which a suppressed cell could be recovered by subtraction:
    - across areas: the local authorities of the region, with the region as total;
    - across a breakdown: the slices of an area's count (drug-treatment substance groups, sex,
      age bands, IMS cohorts, DIP routes, intervention categories) with the area's 'all' count as
      total; an IMS cohort's age bands have the cohort's size as total.
    Breakdowns that are not complete partitions (sex leaves out I and U; alcohol only is outside
    drug treatment; NSP cohorts leave out unlinked visits) are still treated as additive: treating
    a near-partition as exact can only suppress more. England is published by others and is not
    part of any group here. -#}
with

cells as (

    select distinct cell_id, quantity, period, area_code, area_type, breakdown_type, breakdown
    from {{ ref('fct_indicator_value_cells') }}
    where area_type in ('la', 'region')

),

area_groups as (

    select
        'area|' || quantity || '|' || period || '|' || breakdown_type || '|' || breakdown as group_id,
        cell_id,
        area_type = 'region' as is_total
    from cells

),

breakdown_members as (

    select
        'breakdown|' || quantity || '|' || period || '|' || area_code || '|' || breakdown_type as group_id,
        cell_id,
        false as is_total,
        quantity || '|' || period || '|' || area_code || '|all|all' as total_cell_id
    from cells
    where breakdown_type in ('substance_group', 'sex', 'age_band', 'cohort', 'route_group', 'category')
        and not (breakdown_type = 'substance_group' and breakdown = 'alcohol_only')

    union all

    select
        'breakdown|' || quantity || '|' || period || '|' || area_code || '|cohort=' || {{ dbt.split_part('breakdown', "'|'", 1) }} as group_id,
        cell_id,
        false as is_total,
        'ims_people|' || period || '|' || area_code || '|cohort|' || {{ dbt.split_part('breakdown', "'|'", 1) }} as total_cell_id
    from cells
    where breakdown_type = 'cohort_age_band'

),

breakdown_totals as (

    select distinct
        breakdown_members.group_id,
        breakdown_members.total_cell_id as cell_id,
        true as is_total
    from breakdown_members
    inner join cells
        on breakdown_members.total_cell_id = cells.cell_id

),

members as (

    select group_id, cell_id, is_total from area_groups
    union all
    select group_id, cell_id, is_total from breakdown_members
    union all
    select group_id, cell_id, is_total from breakdown_totals

)

select
    group_id || '#' || cell_id as group_member_id,
    group_id,
    cell_id,
    is_total
from members
