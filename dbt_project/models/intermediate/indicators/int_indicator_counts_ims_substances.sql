{#- Numerators and denominators of the IMS recorded-substance profile (seed catalogue 3.1, "Main
    substance recorded for 5,536 people (87%)", "Heroin 4,749 (86%)"), per IMS client cohort, in
    the person's main area and for the region: people with a main (second) substance recorded as
    a share of the cohort, and each substance as a share of those recorded. -#}
with

client_periods as (

    select * from {{ ref('int_ims_client_periods') }}

),

counts as (

    {% for position in ['main', 'second'] %}
    {% if not loop.first %}union all{% endif %}
    {{ indicator_counts(
        'client_periods', 'ims_' ~ position ~ '_substance_recorded', 'cohort', 'cohort',
        'sum(case when ' ~ position ~ '_substance is not null then 1 else 0 end)', 'count(*)'
    ) }}
    union all
    {{ indicator_shares(
        'client_periods', 'ims_' ~ position ~ '_substance_share', 'cohort_' ~ position ~ '_substance',
        "cohort || '|' || " ~ position ~ "_substance", parent='cohort',
        where=position ~ '_substance is not null'
    ) }}
    {% endfor %}

)

select * from counts
