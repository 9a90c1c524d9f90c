{#- domain (tx_wait_under_3w, tx_wait_over_6w, tx_early_unplanned_exit): the person's first
    new-presentation episode in the period. Wait = first_intervention_date - referral_date.
    Early unplanned exit: discharged unplanned (not completed, not transferred) within 12 weeks
    (84 days) of starting treatment (first intervention, else triage, else referral). The 12-week
    window is complete only when the data reach 84 days past the start (data_as_of_date). -#}
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

extent as (

    select max(coalesce(discharge_date, referral_date)) as data_as_of_date
    from episodes
    where referral_date is not null

),

first_new as (

    select *
    from (
        select
            episodes.*,
            periods.period,
            periods.midpoint_date,
            row_number() over (
                partition by episodes.person_id, periods.period
                order by episodes.referral_date, episodes.episode_id
            ) as presentation_rank
        from episodes
        inner join journeys
            on episodes.episode_id = journeys.episode_id
        inner join periods
            on episodes.referral_date between periods.start_date and periods.end_date
        where journeys.is_new_presentation_episode
    ) as ranked
    where presentation_rank = 1

),

measured as (

    select
        first_new.*,
        coalesce(first_new.first_intervention_date, first_new.triage_date, first_new.referral_date)
            as treatment_start_date,
        {{ dbt.datediff('first_new.referral_date', 'first_new.first_intervention_date', 'day') }} as wait_days,
        extent.data_as_of_date
    from first_new
    cross join extent

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
        and {{ dbt.datediff('treatment_start_date', 'discharge_date', 'day') }} <= 84,
        false
    ) as is_early_unplanned_exit,
    {{ dbt.dateadd('day', 84, 'treatment_start_date') }} <= data_as_of_date as is_exit_window_complete,
    data_as_of_date
from measured
