{#- domain (Known to treatment): a person seen in DIP, drug tests or NSP in a period, and whether
    they have any treatment episode ever and in that period. The treatment status follows the
    Salford cross-match: in treatment in the period, before the period only, after the period
    only (not during), before and after but not during, or never known to treatment. -#}
with

records as (

    select * from {{ ref('int_person_records_unioned') }}
    where person_id is not null and period is not null and source in ('dip', 'drug_test', 'nsp')

),

episodes as (

    {{ person_episodes() }}

),

periods as (

    select * from {{ ref('dim_periods') }}

),

ocu as (

    select * from {{ ref('int_ocu_people_identified') }}

),

seen as (

    select
        source,
        person_id,
        period,
        min(area_code) as area_code,
        count(*) as records
    from records
    group by source, person_id, period

),

status as (

    select
        seen.source,
        seen.person_id,
        seen.period,
        max(
            case
                when
                    {{ smw.episode_overlaps('episodes', 'periods.start_date', 'periods.end_date') }}
                    then 1
                else 0
            end
        ) = 1 as is_in_treatment_in_period,
        max(case when episodes.discharge_date < periods.start_date then 1 else 0 end)
        = 1 as was_in_treatment_before,
        max(case when episodes.referral_date > periods.end_date then 1 else 0 end)
        = 1 as was_in_treatment_after,
        count(episodes.episode_id) > 0 as is_known_ever
    from seen
    inner join periods
        on seen.period = periods.period
    left join episodes
        on seen.person_id = episodes.person_id
    group by seen.source, seen.person_id, seen.period

)

select
    seen.source || '|' || seen.person_id || '|' || seen.period as known_to_treatment_id,
    seen.source,
    seen.person_id,
    seen.period,
    seen.area_code,
    seen.records,
    status.is_known_ever,
    status.is_in_treatment_in_period,
    case
        when status.is_in_treatment_in_period then 'in_treatment_in_period'
        when
            status.was_in_treatment_before and status.was_in_treatment_after
            then 'before_and_after_not_during'
        when status.was_in_treatment_before then 'before_period_only'
        when status.was_in_treatment_after then 'after_period_only'
        else 'never'
    end as treatment_status,
    ocu.person_id is not null as is_ocu
from seen
inner join status
    on
        seen.source = status.source
        and seen.person_id = status.person_id
        and seen.period = status.period
left join ocu
    on seen.person_id = ocu.person_id
