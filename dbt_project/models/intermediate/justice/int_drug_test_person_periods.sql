{#- domain (Cohorts: repeat testers) and [SAL] MDT person-year rules: a person is positive in a
    year if any test was positive, negative if all were negative; their positive drug type across
    the year is opiates, cocaine or both. Counts of positive tests run from the start of the data
    ("MDT+ count 2004-08"). Area: the custody suite's area of most of the year's tests. -#}
with

tests as (

    select * from {{ ref('int_mdt_drug_tests_accumulated') }}
    where person_id is not null and test_date is not null

),

dated as (

    select
        person_id,
        {{ financial_year('test_date') }} as period,
        custody_la_code,
        test_date,
        opiates = 'positive' as is_opiate_positive,
        cocaine = 'positive' as is_cocaine_positive
    from tests

),

by_period as (

    select
        person_id,
        period,
        count(*) as tests,
        sum(case when is_opiate_positive or is_cocaine_positive then 1 else 0 end)
            as positive_tests,
        max(case when is_opiate_positive then 1 else 0 end) = 1 as has_opiate_positive,
        max(case when is_cocaine_positive then 1 else 0 end) = 1 as has_cocaine_positive,
        min(test_date) as first_test_date
    from dated
    group by person_id, period

),

tests_by_area as (

    select person_id, period, custody_la_code, count(*) as area_tests
    from dated
    group by person_id, period, custody_la_code

),

main_area as (

    {{ smw.top_row_per_group(
        'tests_by_area', 'person_id, period', 'area_tests desc, custody_la_code',
        columns='person_id, period, custody_la_code as area_code'
    ) }}

),

cumulative as (

    select
        *,
        sum(positive_tests) over (
            partition by person_id order by period rows between unbounded preceding and current row
        ) as positive_tests_to_date,
        max(case when has_opiate_positive then 1 else 0 end) over (
            partition by person_id order by period rows between unbounded preceding and current row
        ) = 1 as has_opiate_positive_to_date
    from by_period

)

select
    cumulative.person_id || '|' || cumulative.period as test_period_id,
    cumulative.person_id,
    cumulative.period,
    main_area.area_code,
    cumulative.tests,
    cumulative.positive_tests,
    cumulative.positive_tests > 0 as is_positive,
    case
        when cumulative.has_opiate_positive and cumulative.has_cocaine_positive then 'both'
        when cumulative.has_opiate_positive then 'opiates'
        when cumulative.has_cocaine_positive then 'cocaine'
        else 'negative'
    end as positive_type,
    cumulative.positive_tests_to_date,
    cumulative.has_opiate_positive_to_date,
    cumulative.first_test_date
from cumulative
inner join main_area
    on cumulative.person_id = main_area.person_id and cumulative.period = main_area.period
