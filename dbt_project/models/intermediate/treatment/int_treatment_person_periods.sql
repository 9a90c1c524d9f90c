{#- domain (Time): a person is in treatment in a period if any of their episodes overlaps it
    (referral_date <= period end and (discharge_date is empty or >= period start)). A discharge
    on the last day of the period (31 March) is an exit in that period.
    One row per person per period in treatment, with what the cohort and indicators need
    (int_treatment_person_periods_summarised summarises the episodes of each period):
    - substance group: the highest of the groups of the episodes in the period
      (opiate > non_opiate_alcohol > non_opiate > alcohol_only);
    - area: residence on the latest episode in the period;
    - new presentation: a new-presentation episode referred in the period;
    - latest discharge in the period and its category; open at period end;
    - successful completion (domain: tx_successful_completion): the latest discharge in the
      period is a completion and no later episode starts in the period, nor is another episode
      still open after it;
    - re-presentation (domain: tx_non_representation): a new referral within 182 days after that
      discharge, looked for beyond the period end;
    - across the episodes in the period (domain: tx_club_drugs, tx_pom_otc, tx_residential_rehab,
      tx_deaths_in_treatment): a club drug or a POM/OTC medicine cited in any substance field, a
      residential setting, a discharge for death in the period.
    Kept per person (smw.person_incremental_config). -#}
{{ smw.person_incremental_config() }}
{%- set since = smw.person_incremental_since() %}
with

{{ smw.people_to_rebuild_cte(since) }}

summary as (

    select * from {{ ref('int_treatment_person_periods_summarised') }}
    where {{ smw.people_to_rebuild_filter(since) }}

),

episodes as (

    {{ person_episodes(where=smw.people_to_rebuild_filter(since)) }}

),

journeys as (

    select * from {{ ref('int_treatment_journeys_chained') }}
    where {{ smw.people_to_rebuild_filter(since) }}

),

periods as (

    select * from {{ ref('int_financial_years_generated') }}

),

latest_discharge as (

    select
        summary.person_id,
        summary.period,
        summary.discharged_episode_id,
        episodes.discharge_date as latest_discharge_date,
        episodes.discharge_category as latest_discharge_category,
        episodes.discharge_reason as latest_discharge_reason
    from summary
    inner join episodes
        on summary.discharged_episode_id = episodes.episode_id

),

after_discharge as (

    {#- Later treatment after the latest discharge: within the period (cancels a completion) and
        within 182 days (a re-presentation, looked for beyond the period end). -#}
    select
        latest_discharge.person_id,
        latest_discharge.period,
        max(
            {{ later_treatment_flag(
                'episodes', 'latest_discharge.latest_discharge_date', 'periods.end_date'
            ) }}
        ) = 1 as has_later_treatment_in_period,
        max(
            case
                when
                    episodes.referral_date > latest_discharge.latest_discharge_date
                    and episodes.referral_date
                    <= {{ dbt.dateadd('day', 182, 'latest_discharge.latest_discharge_date') }}
                    then 1
                else 0
            end
        ) = 1 as has_representation_182d
    from latest_discharge
    inner join periods
        on latest_discharge.period = periods.period
    inner join episodes
        on
            latest_discharge.person_id = episodes.person_id
            and latest_discharge.discharged_episode_id <> episodes.episode_id
    group by latest_discharge.person_id, latest_discharge.period

),

people as (

    select * from {{ ref('int_people_linked') }}
    where {{ smw.people_to_rebuild_filter(since) }}

)

select
    summary.treatment_period_id,
    summary.person_id,
    summary.period,
    latest_episode.area_code,
    summary.substance_group,
    summary.is_drug_treatment,
    summary.has_ocu_episode,
    summary.cites_club_drug,
    summary.cites_pom_otc,
    summary.has_residential_episode,
    summary.died_in_period,
    people.sex,
    {{ age_at('people.birth_month', 'periods.midpoint_date') }} as age_at_midpoint,
    summary.episodes_in_period,
    summary.is_new_presentation,
    summary.new_presentation_date,
    summary.is_open_at_period_end,
    latest_discharge.latest_discharge_date,
    latest_discharge.latest_discharge_reason,
    latest_discharge.latest_discharge_category,
    coalesce(after_discharge.has_later_treatment_in_period, false) as has_later_treatment_in_period,
    (
        latest_discharge.latest_discharge_category = 'completed'
        and not coalesce(after_discharge.has_later_treatment_in_period, false)
        and not summary.is_open_at_period_end
    ) as is_successful_completion,
    coalesce(after_discharge.has_representation_182d, false) as has_representation_182d,
    case
        when summary.is_open_at_period_end then 'in_treatment'
        else coalesce(latest_discharge.latest_discharge_category, 'unknown')
    end as exit_type,
    latest_episode.episode_id as latest_episode_id,
    latest_journey.journey_id as latest_journey_id,
    latest_journey.journey_start_date as latest_journey_start_date,
    {{ dbt.datediff(
        'latest_journey.journey_start_date',
        'case when latest_journey.journey_end_date is null or latest_journey.journey_end_date > periods.end_date then periods.end_date else latest_journey.journey_end_date end',
        'day'
    ) }} as journey_days,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from summary
inner join episodes as latest_episode
    on summary.latest_episode_id = latest_episode.episode_id
inner join journeys as latest_journey
    on summary.latest_episode_id = latest_journey.episode_id
inner join periods
    on summary.period = periods.period
inner join people
    on summary.person_id = people.person_id
left join latest_discharge
    on summary.person_id = latest_discharge.person_id and summary.period = latest_discharge.period
left join after_discharge
    on summary.person_id = after_discharge.person_id and summary.period = after_discharge.period
