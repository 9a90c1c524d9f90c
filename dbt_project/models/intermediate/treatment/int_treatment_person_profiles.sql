{#- domain (Indicators, second release: "in treatment" indicators): one row per person per
    financial year in treatment (int_treatment_person_periods), with what the support pack reads
    about them:
    - from their latest episode in the year: setting, ethnic group (code list category; Z and
      empty are not stated), injecting status, HCV test and HBV vaccination;
    - domain (tx_hcv_tested, tx_hbv_vaccinated): who ever injected (previously or currently);
      HCV-eligible unless assessed not_eligible (an empty or unknown test value is eligible and
      not tested); an HBV course started, completed or immune, and completed or immune (every
      person who ever injected is in the HBV denominator: not_eligible is an HCV value);
    - across every episode overlapping the year (int_treatment_person_periods): whether any cites
      a club drug (ecstasy, ketamine, ghb_gbl, mephedrone, methamphetamine, nps_other) or a POM/OTC
      medicine in any substance field, whether any is in a residential setting, and whether an
      episode ended with the person's death in the year;
    - time in treatment: the latest journey has lasted two years (730 days) or more at the year
      end, or at the journey's end when it ended in the year (journey_days).
    Codes staging could not map ('unknown') count as not recorded. -#}
with

person_periods as (

    select * from {{ ref('int_treatment_person_periods') }}

),

episodes as (

    select * from {{ ref('int_treatment_episodes_grouped') }}

),

ethnic_groups as (

    select code, category from {{ ref('code_lists') }}
    where code_list = 'ethnicity'

)

select
    person_periods.treatment_period_id,
    person_periods.person_id,
    person_periods.period,
    person_periods.area_code,
    person_periods.substance_group,
    person_periods.is_drug_treatment,
    person_periods.latest_episode_id,
    nullif(latest.setting, 'unknown') as setting,
    case
        when ethnic_groups.category is null or ethnic_groups.category = 'not_stated' then null
        else ethnic_groups.category
    end as ethnic_group,
    nullif(latest.injecting_status, 'unknown') as injecting_status,
    coalesce(latest.injecting_status in ('previously', 'currently'), false) as has_ever_injected,
    nullif(latest.hcv_tested, 'unknown') as hcv_tested,
    nullif(latest.hbv_vaccination, 'unknown') as hbv_vaccination,
    coalesce(latest.injecting_status in ('previously', 'currently'), false)
    and coalesce(latest.hcv_tested, '') <> 'not_eligible' as is_hcv_eligible,
    coalesce(
        latest.injecting_status in ('previously', 'currently') and latest.hcv_tested = 'Y', false
    ) as is_hcv_tested,
    coalesce(
        latest.injecting_status in ('previously', 'currently')
        and latest.hbv_vaccination in ('started', 'completed', 'immune'),
        false
    ) as is_hbv_started,
    coalesce(
        latest.injecting_status in ('previously', 'currently')
        and latest.hbv_vaccination in ('completed', 'immune'),
        false
    ) as is_hbv_completed_or_immune,
    person_periods.cites_club_drug,
    person_periods.cites_pom_otc,
    person_periods.has_residential_episode,
    person_periods.died_in_period,
    person_periods.journey_days,
    coalesce(person_periods.journey_days >= 730, false) as is_long_term
from person_periods
inner join episodes as latest
    on person_periods.latest_episode_id = latest.episode_id
left join ethnic_groups
    on latest.ethnicity = ethnic_groups.code
