{#- domain (Time): a person is in treatment in a period if any of their episodes overlaps it
    (referral_date <= period end and (discharge_date is empty or >= period start)). A discharge
    on the last day of the period (31 March) is an exit in that period.
    One row per person per period in treatment, summarised over the episodes overlapping it:
    - substance group: the highest of the groups of the episodes in the period
      (opiate > non_opiate_alcohol > non_opiate > alcohol_only);
    - new presentation: a new-presentation episode referred in the period; open at period end;
    - the latest episode in the period (latest referral, then episode id) and the episode of the
      latest discharge in it (latest discharge, then episode id), as ids;
    - across the episodes in the period (domain: tx_club_drugs, tx_pom_otc, tx_residential_rehab,
      tx_deaths_in_treatment): a club drug or a POM/OTC medicine cited in any substance field, a
      residential setting, a discharge for death in the period.
    int_treatment_person_periods adds the latest episode's area and journey, the discharge and
    what follows it. Two models, not one query: the planner cannot count the rows of a grouping
    inside a query (it estimated 2 thousand for 2.2 million at scale 10), built its hash joins
    on the grouped side and needed more than 2 GB; from a table it knows the count (1.6 GB).
    Kept per person (smw.person_incremental_config). -#}
{{ smw.person_incremental_config() }}
{%- set since = smw.person_incremental_since() %}
with

{{ smw.people_to_rebuild_cte(since) }}

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

overlapping as (

    select
        episodes.episode_id,
        episodes.person_id,
        episodes.referral_date,
        episodes.discharge_date,
        episodes.discharge_reason,
        episodes.setting,
        episodes.substance_1,
        episodes.substance_2,
        episodes.substance_3,
        episodes.is_ocu,
        journeys.is_new_presentation_episode,
        periods.period,
        episodes.discharge_date between periods.start_date and periods.end_date
            as is_discharged_in_period,
        episodes.discharge_date is null
        or episodes.discharge_date > periods.end_date as is_open_at_period_end,
        episodes.referral_date between periods.start_date and periods.end_date
            as is_referred_in_period,
        {{ substance_group_rank('episodes.substance_group') }} as group_rank
    from episodes
    inner join journeys
        on episodes.episode_id = journeys.episode_id
    inner join periods
        on {{ smw.episode_overlaps('episodes', 'periods.start_date', 'periods.end_date') }}

),

summarised as (

    select
        person_id || '|' || period as treatment_period_id,
        person_id,
        period,
        {{ latest_id_by_date('referral_date', 'episode_id') }} as latest_episode_id,
        {{ latest_id_by_date(
            'case when is_discharged_in_period then discharge_date end', 'episode_id'
        ) }} as discharged_episode_id,
        {{ substance_group_of_rank('max(group_rank)') }} as substance_group,
        max(group_rank) between 2 and 4 as is_drug_treatment,
        max(case when is_open_at_period_end then 1 else 0 end) = 1 as is_open_at_period_end,
        max(case when is_referred_in_period and is_new_presentation_episode then 1 else 0 end) = 1
            as is_new_presentation,
        min(case when is_referred_in_period and is_new_presentation_episode then referral_date end)
            as new_presentation_date,
        count(*) as episodes_in_period,
        max(case when is_ocu then 1 else 0 end) = 1 as has_ocu_episode,
        max(
            case
                when
                    substance_1 in ({{ club_drug_codes() }})
                    or substance_2 in ({{ club_drug_codes() }})
                    or substance_3 in ({{ club_drug_codes() }})
                    then 1
                else 0
            end
        ) = 1 as cites_club_drug,
        max(case when 'pom_otc' in (substance_1, substance_2, substance_3) then 1 else 0 end) = 1
            as cites_pom_otc,
        max(case when setting = 'residential' then 1 else 0 end) = 1 as has_residential_episode,
        max(case when discharge_reason = 'died' and is_discharged_in_period then 1 else 0 end) = 1
            as died_in_period
    from overlapping
    group by person_id, period

)

select
    summarised.*,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from summarised
