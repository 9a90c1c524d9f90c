{#- Numerators and denominators of the DIP funnel indicators (domain: dip_contacts,
    dip_assessed, dip_further_required, dip_caseload: funnel counts over the previous stage), in
    the area of the CJIT that recorded the contacts, and for the region. -#}
with

contacts as (

    select
        *,
        cjit_code as area_code
    from {{ ref('int_dip_contacts_classified') }}

),

counts as (

    {{ dip_funnel_counts('contacts') }}
    union all
    {{ indicator_counts('contacts', 'dip_contacts', 'route_group', 'route_group', 'count(*)') }}

)

select * from counts
