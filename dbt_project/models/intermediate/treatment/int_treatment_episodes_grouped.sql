{#- domain (Cohorts: treatment substance groups), per episode from substance_1..3: any of heroin,
    methadone, other_opiates -> opiate; else alcohol together with a non-opiate drug ->
    non_opiate_alcohol; else a non-opiate drug -> non_opiate; else alcohol alone -> alcohol_only.
    Unknown codes count for no group ('unknown' when nothing else is known).
    domain (PDU / OCU): opiates and/or crack make an episode an opiate/crack-use (OCU) episode.
    Discharge categories come from the code list: completed (successful), transferred,
    unplanned (everything else, as "not completed, not transferred"). -#}
with

episodes as (

    select * from {{ ref('int_ndtms_episodes_accumulated') }}
    where birth_month_problem is null  -- rejected: impossible date of birth (issue 22)

),

code_lists as (

    select * from {{ ref('code_lists') }}

),

substances as (

    select code, category from code_lists
    where code_list = 'treatment_substance'

),

discharge_reasons as (

    select code, category from code_lists
    where code_list = 'discharge_reason'

),

cited as (

    select
        episodes.episode_id,
        max(case when substances.category = 'opiate' then 1 else 0 end) = 1 as cites_opiate,
        max(case when substances.category = 'non_opiate' then 1 else 0 end) = 1 as cites_non_opiate,
        max(case when substances.category = 'alcohol' then 1 else 0 end) = 1 as cites_alcohol,
        max(case when substances.code = 'crack' then 1 else 0 end) = 1 as cites_crack
    from episodes
    left join substances
        on substances.code in (episodes.substance_1, episodes.substance_2, episodes.substance_3)
    group by episodes.episode_id

)

select
    episodes.episode_id,
    episodes.person_id,
    episodes.provider_code,
    episodes.client_la_code as area_code,
    episodes.sex,
    episodes.birth_month,
    episodes.ethnicity,
    episodes.referral_source,
    episodes.referral_date,
    episodes.triage_date,
    episodes.first_intervention_date,
    episodes.discharge_date,
    episodes.discharge_reason,
    coalesce(
        discharge_reasons.category,
        case when episodes.discharge_date is not null then 'unplanned' end
    )
        as discharge_category,
    episodes.setting,
    episodes.substance_1,
    episodes.substance_2,
    episodes.substance_3,
    case
        when cited.cites_opiate then 'opiate'
        when cited.cites_alcohol and cited.cites_non_opiate then 'non_opiate_alcohol'
        when cited.cites_non_opiate then 'non_opiate'
        when cited.cites_alcohol then 'alcohol_only'
        else 'unknown'
    end as substance_group,
    cited.cites_opiate or cited.cites_crack as is_ocu,
    episodes.injecting_status,
    episodes.accommodation_need,
    episodes.employment_status,
    episodes.parental_status,
    episodes.hbv_vaccination,
    episodes.hcv_tested,
    {{ age_at('episodes.birth_month', 'episodes.referral_date') }} as age_at_referral
from episodes
inner join cited
    on episodes.episode_id = cited.episode_id
left join discharge_reasons
    on episodes.discharge_reason = discharge_reasons.code
