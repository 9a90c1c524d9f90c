{#- domain (tx_wait_under_3w, tx_wait_over_6w, tx_early_unplanned_exit): the person's first
    new-presentation episode in the period. Wait = first_intervention_date - referral_date.
    Early unplanned exit: discharged unplanned (not completed, not transferred) within 12 weeks
    (84 days) of starting treatment (first intervention, else triage, else referral). The 12-week
    window is complete only when the data reach 84 days past the start (data_as_of_date).
    domain (Indicators, second release): the presenting episode's own fields at start
    (employment, accommodation need, parental status, setting) and its referral group from the
    code list (self; health: gp, hospital, a_and_e; criminal_justice; social_services;
    substance_service: drug_service, alcohol_service; other). Empty codes and codes staging could
    not map ('unknown') are not recorded.
    domain (tx_effective_engagement): eligible when the first intervention is at least 84 days
    before the data's end (the latest referral or discharge in the whole extract); engaged when
    the journey of the presenting episode is still open, ended at least 84 days after the first
    intervention, or ended with a successful completion. -#}
with

episodes as (

    select * from {{ ref('int_treatment_episodes_grouped') }}

),

journeys as (

    select * from {{ ref('int_treatment_journeys_chained') }}

),

periods as (

    select * from {{ ref('int_financial_years_generated') }}

),

referral_groups as (

    select code, category as referral_group
    from {{ ref('code_lists') }}
    where code_list = 'referral_source'

),

extent as (

    select max(coalesce(discharge_date, referral_date)) as data_as_of_date
    from episodes
    where referral_date is not null

),

new_presentation_episodes as (

    select
        episodes.*,
        journeys.journey_id,
        journeys.journey_end_date,
        journeys.journey_end_category,
        periods.period,
        periods.midpoint_date
    from episodes
    inner join journeys
        on episodes.episode_id = journeys.episode_id
    inner join periods
        on episodes.referral_date between periods.start_date and periods.end_date
    where journeys.is_new_presentation_episode

),

first_new as (

    {{ smw.top_row_per_group(
        'new_presentation_episodes', 'person_id, period', 'referral_date, episode_id'
    ) }}

),

measured as (

    select
        first_new.*,
        coalesce(first_new.first_intervention_date, first_new.triage_date, first_new.referral_date)
            as treatment_start_date,
        {{ dbt.datediff(
            'first_new.referral_date', 'first_new.first_intervention_date', 'day'
        ) }} as wait_days,
        extent.data_as_of_date,
        referral_groups.referral_group
    from first_new
    cross join extent
    left join referral_groups
        on first_new.referral_source = referral_groups.code

)

select
    person_id || '|' || period as new_presentation_id,
    person_id,
    period,
    episode_id,
    area_code,
    substance_group,
    substance_group in ('opiate', 'non_opiate', 'non_opiate_alcohol') as is_drug_treatment,
    sex,
    {{ age_at('birth_month', 'midpoint_date') }} as age_at_midpoint,
    referral_source,
    referral_group,
    nullif(employment_status, 'unknown') as employment_status,
    nullif(accommodation_need, 'unknown') as accommodation_need,
    nullif(parental_status, 'unknown') as parental_status,
    referral_date,
    first_intervention_date,
    first_intervention_date is not null as has_first_intervention,
    wait_days,
    wait_days < 21 as is_wait_under_3w,
    wait_days > 42 as is_wait_over_6w,
    treatment_start_date,
    discharge_date,
    discharge_category,
    coalesce(
        discharge_category = 'unplanned'
        and {{ dbt.datediff('treatment_start_date', 'discharge_date', 'day') }}
        <= 84,
        false
    ) as is_early_unplanned_exit,
    {{ dbt.dateadd('day', 84, 'treatment_start_date') }} <= data_as_of_date
        as is_exit_window_complete,
    journey_id,
    journey_end_date,
    journey_end_category,
    coalesce({{ dbt.dateadd('day', 84, 'first_intervention_date') }} <= data_as_of_date, false)
        as is_engagement_eligible,
    coalesce(
        {{ dbt.dateadd('day', 84, 'first_intervention_date') }} <= data_as_of_date
        and (
            journey_end_date is null
            or journey_end_date >= {{ dbt.dateadd('day', 84, 'first_intervention_date') }}
            or journey_end_category = 'completed'
        ),
        false
    ) as is_effectively_engaged,
    data_as_of_date
from measured
