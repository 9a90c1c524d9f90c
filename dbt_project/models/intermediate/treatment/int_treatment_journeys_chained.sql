{#- domain (Cohorts):
    - Treatment journey: one person's episodes chained while the gap between a discharge and the
      next referral is at most 21 days, or the discharge was a transfer. Overlapping episodes
      (still open at the next referral) are in the same journey. A gap of 22 days starts a new
      journey.
    - New presentation: an episode that is not a continuation, i.e. no episode of the same person
      was discharged as transferred_* in the 21 days before its referral (the period test, referral
      date in the period, is applied where periods are).
    Episodes without a linked person (incomplete attributor) cannot be chained: they are left out
    here and reported by data quality.
    A closed journey's end category is that of its latest discharge (the latest episode
    discharged, by discharge date then episode id): completed, transferred or unplanned.
    Kept per person (smw.person_incremental_config). -#}
{{ smw.person_incremental_config() }}
{%- set since = smw.person_incremental_since() %}
with

{{ smw.people_to_rebuild_cte(since) }}

episodes as (

    {{ person_episodes(where=smw.people_to_rebuild_filter(since)) }}

),

ordered as (

    select
        *,
        max(coalesce(discharge_date, cast('9999-12-31' as date))) over (
            partition by person_id order by referral_date, episode_id
            rows between unbounded preceding and 1 preceding
        ) as prior_latest_discharge_date,
        max(case when discharge_category = 'transferred' then discharge_date end) over (
            partition by person_id order by referral_date, episode_id
            rows between unbounded preceding and 1 preceding
        ) as prior_latest_transfer_date,
        row_number()
            over (partition by person_id order by referral_date, episode_id)
            as episode_number
    from episodes

),

flagged as (

    select
        *,
        case
            when prior_latest_discharge_date is null then true
            when prior_latest_discharge_date >= referral_date then false
            when prior_latest_transfer_date = prior_latest_discharge_date then false
            when
                {{ dbt.datediff('prior_latest_discharge_date', 'referral_date', 'day') }}
                <= 21
                then false
            else true
        end as starts_journey
    from ordered

),

numbered as (

    select
        *,
        sum(case when starts_journey then 1 else 0 end) over (
            partition by person_id order by referral_date, episode_id
            rows between unbounded preceding and current row
        ) as journey_number
    from flagged

),

continuations as (

    select distinct later.episode_id
    from episodes as later
    inner join episodes as earlier
        on
            later.person_id = earlier.person_id
            and later.episode_id <> earlier.episode_id
            and earlier.discharge_category = 'transferred'
            and later.referral_date >= earlier.discharge_date
            and earlier.discharge_date >= {{ dbt.dateadd('day', -21, 'later.referral_date') }}

),

journeys as (

    select
        person_id,
        journey_number,
        min(coalesce(triage_date, referral_date)) as journey_start_date,
        max(case when discharge_date is null then 1 else 0 end) = 1 as is_journey_open,
        max(discharge_date) as journey_last_discharge_date
    from numbered
    group by person_id, journey_number

),

last_discharges as (

    {{ smw.top_row_per_group(
        'numbered', 'person_id, journey_number', 'discharge_date desc, episode_id desc',
        columns='person_id, journey_number, discharge_category',
        where='discharge_date is not null'
    ) }}

)

select
    numbered.episode_id,
    numbered.person_id,
    numbered.episode_number,
    numbered.person_id || '|' || cast(numbered.journey_number as {{ dbt.type_string() }})
        as journey_id,
    numbered.journey_number,
    numbered.starts_journey,
    continuations.episode_id is not null as is_continuation,
    continuations.episode_id is null as is_new_presentation_episode,
    journeys.journey_start_date,
    case when journeys.is_journey_open then null else journeys.journey_last_discharge_date end
        as journey_end_date,
    case when journeys.is_journey_open then null else last_discharges.discharge_category end
        as journey_end_category,
    numbered.referral_date,
    numbered.discharge_date,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from numbered
left join continuations
    on numbered.episode_id = continuations.episode_id
inner join journeys
    on numbered.person_id = journeys.person_id and numbered.journey_number = journeys.journey_number
left join last_discharges
    on
        numbered.person_id = last_discharges.person_id
        and numbered.journey_number = last_discharges.journey_number
