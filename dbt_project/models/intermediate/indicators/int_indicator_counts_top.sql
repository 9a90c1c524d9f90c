{#- Numerators and denominators of the TOP outcome indicators (domain: Indicators, second
    release, second table), per local authority and for the region, from the start and
    six-month review pairs of persons in drug treatment (int_treatment_top_outcomes; alcohol is
    the adjunctive use of people in drug treatment), in the year of the review:
    - top_abstinent / top_reduced_use, by drug: of persons using the drug at start (days > 0)
      whose review records the days, those with 0 days at the review / with days above 0 and at
      most half the days at start (the abstinent are not counted as reduced);
    - top_injecting_stopped: injected at start (Y), not at the review (N), of those injecting at
      start whose review records it;
    - top_housing_resolved: an urgent housing problem at start, housing_problem or no_problem at
      the review, of those urgent at start whose review records housing;
    - top_paid_work: 0 days' paid work at start, 10 or more at the review, of those with 0 days
      at start whose review records it.
    Provisional until 240 days after the year's end (catalogue follow_up_days). -#}
with

outcomes as (

    select * from {{ ref('int_treatment_top_outcomes') }}
    where is_drug_treatment

),

drug_use as (

    {#- one row per pair and drug used at start, with the days at the review recorded -#}
    {%- for drug in ['opiates', 'crack', 'cocaine', 'amphetamine', 'cannabis', 'alcohol'] %}
    select
        period,
        area_code,
        '{{ drug }}' as drug,
        start_days_{{ drug }} as start_days,
        review_days_{{ drug }} as review_days
    from outcomes
    where start_days_{{ drug }} > 0 and review_days_{{ drug }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

counts as (

    {{ indicator_counts(
        'drug_use', 'top_abstinent', 'top_drug', 'drug',
        'sum(case when review_days = 0 then 1 else 0 end)', 'count(*)'
    ) }}
    union all
    {{ indicator_counts(
        'drug_use', 'top_reduced_use', 'top_drug', 'drug',
        'sum(case when review_days > 0 and 2 * review_days <= start_days then 1 else 0 end)',
        'count(*)'
    ) }}
    union all
    {{ indicator_counts(
        'outcomes', 'top_injecting_stopped', 'all', "'all'",
        'sum(case when not review_injected then 1 else 0 end)', 'count(*)',
        where='start_injected and review_injected is not null'
    ) }}
    union all
    {{ indicator_counts(
        'outcomes', 'top_housing_resolved', 'all', "'all'",
        "sum(case when review_housing in ('no_problem', 'housing_problem') then 1 else 0 end)",
        'count(*)',
        where="start_housing = 'urgent_problem' and review_housing in ('urgent_problem', 'housing_problem', 'no_problem')"
    ) }}
    union all
    {{ indicator_counts(
        'outcomes', 'top_paid_work', 'all', "'all'",
        'sum(case when review_days_paid_work >= 10 then 1 else 0 end)', 'count(*)',
        where='start_days_paid_work = 0 and review_days_paid_work is not null'
    ) }}

)

select * from counts
