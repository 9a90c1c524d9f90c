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

    {{ indicator_counts('contacts', 'dip_contacts', 'all', "'all'", 'count(*)') }}
    union all
    {{ indicator_counts('contacts', 'dip_contacts', 'route_group', 'route_group', 'count(*)') }}
    union all
    {{ indicator_counts(
        'contacts', 'dip_assessed', 'all', "'all'", 'sum(case when is_assessed then 1 else 0 end)',
        'count(*)'
    ) }}
    union all
    {{ indicator_counts(
        'contacts', 'dip_further_required', 'all', "'all'",
        'sum(case when is_further_required then 1 else 0 end)',
        'sum(case when is_assessed then 1 else 0 end)'
    ) }}
    union all
    {{ indicator_counts(
        'contacts', 'dip_caseload', 'all', "'all'",
        'sum(case when is_taken_onto_caseload then 1 else 0 end)',
        'sum(case when is_further_required then 1 else 0 end)'
    ) }}

)

select * from counts
