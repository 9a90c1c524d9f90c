{#- Labels for the values a breakdown can take, so that published documents say "Required
    Assessment" rather than required_assessment: the breakdown_labels seed for derived categories
    (cohorts, substance groups, residence, alcohol bands, ...) and the code lists for coded
    ones, the seed winning where both have a value. -#}
with

seeded as (

    select dimension, code, label, sort_order from {{ ref('breakdown_labels') }}

),

code_lists as (

    select * from {{ ref('code_lists') }}

),

{%- set coded = {
    'dip_route': 'route',
    'treatment_substance': 'drug',
    'drug_route': 'drug_route',
    'injecting_status': 'injecting_status',
    'offence': 'offence',
    'offender_management': 'offender_management',
    'intervention_category': 'category',
    'ims_substance': 'ims_substance',
    'employment_status': 'employment_status',
    'accommodation_need': 'accommodation_need',
    'parental_status': 'parental_status',
    'setting': 'setting',
} %}

coded as (

    select
        case code_lists.code_list
            {%- for code_list, dimension in coded.items() %}
            when '{{ code_list }}' then '{{ dimension }}'
            {%- endfor %}
        end as dimension,
        code_lists.code,
        code_lists.label,
        code_lists.sort_order
    from code_lists
    where code_lists.code_list in (
        {%- for code_list in coded %}'{{ code_list }}'{% if not loop.last %},
        {% endif %}{% endfor -%}
    )

),

labels as (

    select * from seeded
    union all
    select coded.*
    from coded
    left join seeded
        on coded.dimension = seeded.dimension and coded.code = seeded.code
    where seeded.code is null

)

select
    dimension || '|' || code as label_id,
    dimension,
    code,
    label,
    sort_order
from labels
