{#- domain (TOP outcomes, Indicators second release): a TOP start and its six-month review.
    - A start is a TOP with stage start; its review is the latest TOP with stage review or exit
      150 to 240 days after it (both ends included) for the same person within the same
      treatment journey (episodes chained: a review recorded against the continuing episode
      after a transfer counts).
    - A TOP whose episode is unknown, or dated before its episode's referral, is reported by data
      quality (fct_row_problems) and is not an outcome here.
    - The outcome belongs to the financial year of the review date. A person counts once a year:
      with the pair whose review is the latest in the year (then the latest start).
    - Area, substance group and drug treatment are those of the start's episode. -#}
with

tops as (

    select * from {{ ref('int_ndtms_top_reviews_accumulated') }}
    where review_date is not null and stage in ('start', 'review', 'exit')

),

episodes as (

    {{ person_episodes() }}

),

journeys as (

    select episode_id, journey_id from {{ ref('int_treatment_journeys_chained') }}

),

periods as (

    select * from {{ ref('int_financial_years_generated') }}

),

placed as (

    select
        tops.*,
        episodes.person_id,
        journeys.journey_id,
        episodes.area_code,
        episodes.substance_group
    from tops
    inner join episodes
        on tops.episode_id = episodes.episode_id
    inner join journeys
        on tops.episode_id = journeys.episode_id
    where tops.review_date >= episodes.referral_date

),

starts as (

    select * from placed
    where stage = 'start'

),

reviews as (

    select * from placed
    where stage in ('review', 'exit')

),

paired as (

    select
        starts.top_id as start_top_id,
        starts.person_id,
        starts.area_code,
        starts.substance_group,
        starts.review_date as start_date,
        reviews.top_id as review_top_id,
        reviews.stage as review_stage,
        reviews.review_date,
        {%- for drug in ['opiates', 'crack', 'cocaine', 'amphetamine', 'cannabis', 'alcohol'] %}
        starts.days_{{ drug }} as start_days_{{ drug }},
        reviews.days_{{ drug }} as review_days_{{ drug }},
        {%- endfor %}
        case starts.injected_last_28 when 'Y' then true when 'N' then false end as start_injected,
        case reviews.injected_last_28 when 'Y' then true when 'N' then false end as review_injected,
        starts.housing as start_housing,
        reviews.housing as review_housing,
        starts.days_paid_work as start_days_paid_work,
        reviews.days_paid_work as review_days_paid_work
    from starts
    inner join reviews
        on
            starts.person_id = reviews.person_id
            and starts.journey_id = reviews.journey_id
            and reviews.review_date >= {{ dbt.dateadd('day', 150, 'starts.review_date') }}
            and reviews.review_date <= {{ dbt.dateadd('day', 240, 'starts.review_date') }}

),

latest_pairs as (

    {#- a start's latest review in the window -#}
    {{ smw.top_row_per_group(
        'paired', 'start_top_id', 'review_date desc, review_top_id desc', rank_column='review_rank'
    ) }}

),

pairs_in_years as (

    select
        latest_pairs.*,
        periods.period
    from latest_pairs
    inner join periods
        on latest_pairs.review_date between periods.start_date and periods.end_date

),

yearly as (

    {#- a person's latest reviewed pair in the year -#}
    {{ smw.top_row_per_group(
        'pairs_in_years', 'person_id, period', 'review_date desc, start_date desc, start_top_id desc'
    ) }}

)

select
    person_id || '|' || period as top_outcome_id,
    person_id,
    period,
    area_code,
    substance_group,
    substance_group in ('opiate', 'non_opiate', 'non_opiate_alcohol') as is_drug_treatment,
    start_top_id,
    start_date,
    review_top_id,
    review_stage,
    review_date,
    {%- for drug in ['opiates', 'crack', 'cocaine', 'amphetamine', 'cannabis', 'alcohol'] %}
    start_days_{{ drug }},
    review_days_{{ drug }},
    {%- endfor %}
    start_injected,
    review_injected,
    start_housing,
    review_housing,
    start_days_paid_work,
    review_days_paid_work
from yearly
