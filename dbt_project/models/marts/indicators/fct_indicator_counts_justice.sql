{#- Numerators and denominators of the criminal-justice indicators (domain: Indicators, second
    release, third table; Known to treatment; Repeat testers), per local authority and for the
    region (the region counts each person once):
    - known_to_treatment: persons in a cohort in the year with a treatment episode referred
      before the year's end (ever) / overlapping the year (in_period), over the persons in the
      cohort. Cohorts: dip_contacts (a DIP contact, in the CJIT's area), dip_caseload (a contact
      taken onto the caseload), drug_test_positive (a positive drug test, in the custody area of
      most of their tests), nsp_psychoactive (the IMS cohort pwid_psychoactive, in its area).
      Statuses come from fct_known_to_treatment; breakdown '<cohort>|ever' / '<cohort>|in_period'.
    - dip_entered_treatment: caseload contacts whose person had an episode referred in the 84
      days after the contact (contact_date < referral_date <= contact_date + 84). An episode
      referred on or before the contact day is open at the contact by the domain's in-treatment
      rule and does not count. Over caseload contacts (all of them, as dip_caseload; a contact
      without a linked person cannot be followed and counts as not entered), in the CJIT's area.
    - mdt_tests / mdt_positive_share: drug tests in the custody suite's area, by positive type
      (opiates_only, cocaine_only, both, negative), sex (M, F; other values have no slice) and
      sex|positive type; the share is tests of a type over all tests (of the sex).
    - mdt_repeat_testers: persons testing positive in the year by the number of positive tests
      in the year (1, 2, 3+), over persons testing positive; and each band split by known to
      treatment (an episode referred before the year's end, as known_to_treatment 'ever') over
      the band.
    Every local authority of the region has a row wherever the region has one: 0 (of 0) where
    the area has no records. -#}
with

known as (

    select
        *,
        is_in_treatment_in_period
        or treatment_status in ('before_period_only', 'before_and_after_not_during')
            as is_known_by_period_end
    from {{ ref('fct_known_to_treatment') }}

),

contacts as (

    select * from {{ ref('int_dip_contacts_classified') }}

),

test_periods as (

    select * from {{ ref('int_drug_test_person_periods') }}

),

client_cohorts as (

    select * from {{ ref('fct_ims_client_cohorts') }}

),

episodes as (

    {{ person_episodes() }}

),

tests as (

    select * from {{ ref('int_mdt_drug_tests_accumulated') }}
    where test_date is not null and birth_month_problem is null

),

cohort_people as (

    select distinct
        'dip_contacts' as cohort, 'dip' as source, person_id, period, cjit_code as area_code
    from contacts
    where person_id is not null
    union all
    select distinct
        'dip_caseload' as cohort, 'dip' as source, person_id, period, cjit_code as area_code
    from contacts
    where is_taken_onto_caseload and person_id is not null
    union all
    select 'drug_test_positive' as cohort, 'drug_test' as source, person_id, period, area_code
    from test_periods
    where is_positive
    union all
    select 'nsp_psychoactive' as cohort, 'nsp' as source, person_id, period, area_code
    from client_cohorts
    where cohort = 'pwid_psychoactive'

),

cohort_status as (

    select
        cohort_people.cohort,
        cohort_people.person_id,
        cohort_people.period,
        cohort_people.area_code,
        coalesce(known.is_known_by_period_end, false) as is_known_ever,
        coalesce(known.is_in_treatment_in_period, false) as is_in_treatment_in_period
    from cohort_people
    left join known
        on
            cohort_people.source = known.source
            and cohort_people.person_id = known.person_id
            and cohort_people.period = known.period

),

caseload_contacts as (

    select
        contacts.contact_id,
        contacts.cjit_code as area_code,
        contacts.period,
        max(case when episodes.episode_id is not null then 1 else 0 end) as entered_treatment
    from contacts
    left join episodes
        on
            contacts.person_id = episodes.person_id
            and episodes.referral_date > contacts.contact_date
            {# a contact without a date cannot be followed (Spark's dateadd rejects nulls) #}
            and episodes.referral_date
            <= {{ dbt.dateadd(
                'day', 84, "coalesce(contacts.contact_date, cast('1900-01-01' as date))"
            ) }}
    where contacts.is_taken_onto_caseload
    group by contacts.contact_id, contacts.cjit_code, contacts.period

),

typed_tests as (

    select
        {{ financial_year('test_date') }} as period,
        custody_la_code as area_code,
        {{ sex_breakdown('sex') }} as sex_breakdown,
        case
            when opiates = 'positive' and cocaine = 'positive' then 'both'
            when opiates = 'positive' then 'opiates_only'
            when cocaine = 'positive' then 'cocaine_only'
            else 'negative'
        end as positive_type
    from tests

),

positive_people as (

    select
        test_periods.person_id,
        test_periods.period,
        test_periods.area_code,
        case
            when test_periods.positive_tests >= 3 then '3+'
            else cast(test_periods.positive_tests as {{ dbt.type_string() }})
        end as tests_band,
        case when known.is_known_by_period_end then 'known' else 'not_known' end as known_status
    from test_periods
    left join known
        on
            known.source = 'drug_test'
            and test_periods.person_id = known.person_id
            and test_periods.period = known.period
    where test_periods.is_positive

),

counts as (

    {{ indicator_counts(
        'cohort_status', 'known_to_treatment', 'cohort_known', "cohort || '|ever'",
        'count(distinct case when is_known_ever then person_id end)', 'count(distinct person_id)'
    ) }}
    union all
    {{ indicator_counts(
        'cohort_status', 'known_to_treatment', 'cohort_known', "cohort || '|in_period'",
        'count(distinct case when is_in_treatment_in_period then person_id end)', 'count(distinct person_id)'
    ) }}
    union all
    {{ indicator_counts(
        'caseload_contacts', 'dip_entered_treatment', 'all', "'all'", 'sum(entered_treatment)',
        'count(*)'
    ) }}
    union all
    {{ indicator_counts('typed_tests', 'mdt_tests', 'all', "'all'", 'count(*)') }}
    union all
    {{ indicator_counts('typed_tests', 'mdt_tests', 'positive_type', 'positive_type', 'count(*)') }}
    union all
    {{ indicator_counts(
        'typed_tests', 'mdt_tests', 'sex', 'sex_breakdown', 'count(*)',
        where='sex_breakdown is not null'
    ) }}
    union all
    {{ indicator_counts(
        'typed_tests', 'mdt_tests', 'sex_positive_type', "sex_breakdown || '|' || positive_type",
        'count(*)', where='sex_breakdown is not null'
    ) }}
    union all
    select * from (
        {{ indicator_shares(
            'typed_tests', 'mdt_positive_share', 'positive_type', 'positive_type'
        ) }}
    ) as type_shares
    where breakdown <> 'negative'
    union all
    select * from (
        {{ indicator_shares(
            'typed_tests', 'mdt_positive_share', 'sex_positive_type', "sex_breakdown || '|' || positive_type",
            parent='sex_breakdown', where='sex_breakdown is not null'
        ) }}
    ) as sex_type_shares
    where breakdown not like '%|negative'
    union all
    {{ indicator_shares('positive_people', 'mdt_repeat_testers', 'tests_band', 'tests_band') }}
    union all
    {{ indicator_shares(
        'positive_people', 'mdt_repeat_testers', 'tests_band_known', "tests_band || '|' || known_status", parent='tests_band'
    ) }}

),

areas as (

    select * from {{ ref('areas') }}

),

grid as (

    {#- every local authority of the region for every row the region has, so an area without
        records (Knowsley has no custody suite) shows 0 (and 0 of 0) rather than nothing -#}
    select distinct
        counts.indicator_code,
        counts.period,
        areas.area_code,
        counts.breakdown_type,
        counts.breakdown,
        counts.denominator is not null as has_denominator
    from counts
    inner join areas
        on
            counts.area_code = areas.parent_code
            and areas.area_type = 'la'
    {{ join_rolled_up_region('areas', 'counts.period') }}

)

select * from counts
union all
select
    grid.indicator_code,
    grid.period,
    grid.area_code,
    grid.breakdown_type,
    grid.breakdown,
    cast(0 as {{ smw.type_double() }}) as numerator,
    cast(case when grid.has_denominator then 0 end as {{ smw.type_double() }}) as denominator
from grid
left join counts
    on
        {{ same_indicator_series('grid', 'counts') }}
        and grid.period = counts.period
where counts.indicator_code is null
