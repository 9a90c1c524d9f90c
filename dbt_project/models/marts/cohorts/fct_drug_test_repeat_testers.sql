{#- domain (Repeat testers): drug-test positives by person, counted by number of positive tests
    from the start of the data to the end of each period; cocaine-only testers have never tested
    positive for opiates (to date), following the Salford analysis of MDT records since 2004.
    One row per person per period in which they tested positive. -#}
with

test_periods as (

    select * from {{ ref('int_drug_test_person_periods') }}
    where is_positive

),

episodes as (

    select person_id, min(referral_date) as first_referral_date
    from {{ ref('int_treatment_episodes_grouped') }}
    where person_id is not null
    group by person_id

)

select
    test_periods.test_period_id as repeat_tester_id,
    test_periods.person_id,
    test_periods.period,
    test_periods.area_code,
    test_periods.positive_tests,
    test_periods.positive_type,
    test_periods.positive_tests_to_date,
    case
        when test_periods.positive_tests_to_date >= 3 then '3+'
        else cast(test_periods.positive_tests_to_date as {{ dbt.type_string() }})
    end as positive_tests_band,
    not test_periods.has_opiate_positive_to_date as is_cocaine_only_to_date,
    test_periods.has_opiate_positive_to_date,
    episodes.person_id is not null as is_known_to_treatment
from test_periods
left join episodes
    on test_periods.person_id = episodes.person_id
