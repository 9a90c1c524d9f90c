{#- domain (Cohorts: DIP funnel), per CJIT and period: contacts by route group, then assessed,
    further intervention required and taken onto caseload, and those not taken on (split in
    fct_dip_transfers_out by destination). Counts of contacts and of distinct people ("figures in
    brackets representing numbers of individuals"). Stages never grow: each is a subset of the
    one before. -#}
with

contacts as (

    select * from {{ ref('int_dip_contacts_classified') }}

),

staged as (

    select
        cjit_code, period, route_group, 'contacts' as stage, 1 as stage_order, contact_id, person_id
    from contacts
    union all
    select
        cjit_code, period, route_group, 'assessed' as stage, 2 as stage_order, contact_id, person_id
    from contacts
    where is_assessed
    union all
    select
        cjit_code,
        period,
        route_group,
        'further_intervention_required' as stage,
        3 as stage_order,
        contact_id,
        person_id
    from contacts
    where is_further_required
    union all
    select
        cjit_code,
        period,
        route_group,
        'taken_onto_caseload' as stage,
        4 as stage_order,
        contact_id,
        person_id
    from contacts
    where is_taken_onto_caseload
    union all
    select
        cjit_code,
        period,
        route_group,
        'not_taken_onto_caseload' as stage,
        5 as stage_order,
        contact_id,
        person_id
    from contacts
    where is_not_taken_on
    union all
    select
        cjit_code,
        period,
        route_group,
        'transferred_out' as stage,
        6 as stage_order,
        contact_id,
        person_id
    from contacts
    where is_transferred_out

)

select
    cjit_code || '|' || period || '|' || stage || '|' || route_group as funnel_id,
    cjit_code,
    period,
    stage,
    stage_order,
    route_group,
    count(*) as contacts,
    count(distinct person_id) as people
from staged
group by cjit_code, period, stage, stage_order, route_group
