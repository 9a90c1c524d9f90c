{#- Numerators and denominators of the NSP and IMS indicators, per local authority and for the
    region (domain: NSP transactions and interventions count in the agency's local authority;
    IMS cohorts count each person once, in the area of most of their contacts). The cohort
    breakdown of NSP activity uses the person's cohort for the year; visits whose attributor was
    incomplete count in 'all' only. -#}
with

transactions as (

    select
        nsp.person_id,
        nsp.needles_issued,
        {{ financial_year('nsp.transaction_date') }} as period,
        agencies.la_code as area_code
    from {{ ref('int_nsp_transactions_accumulated') }} as nsp
    inner join {{ ref('stg_ims__agencies') }} as agencies
        on nsp.agency_code = agencies.agency_code
    where nsp.transaction_date is not null and nsp.birth_month_problem is null

),

client_periods as (

    select * from {{ ref('int_ims_client_periods') }}

),

activity as (

    {#- each person's visits and needles per year and area, read by every NSP count below (a
        year's transactions are several times its person-area rows) -#}
    {{ nsp_activity_summed('transactions', 'person_id, period, area_code') }}

),

activity_by_cohort as (

    select
        activity.*,
        client_periods.cohort
    from activity
    inner join client_periods
        on
            activity.person_id = client_periods.person_id
            and activity.period = client_periods.period

),

interventions as (

    {#- interventions counted once per category, year and area (n), for the counts below -#}
    select
        intervention_category,
        period,
        area_code,
        count(*) as n
    from (
        select
            interventions.intervention_category,
            {{ financial_year('interventions.intervention_date') }} as period,
            agencies.la_code as area_code
        from {{ ref('int_ims_interventions_accumulated') }} as interventions
        inner join {{ ref('stg_ims__agencies') }} as agencies
            on interventions.agency_code = agencies.agency_code
        where
            interventions.intervention_date is not null
            and interventions.intervention_category is not null
            and interventions.birth_month_problem is null
    ) as dated
    group by intervention_category, period, area_code

),

categories as (

    select code as intervention_category
    from {{ ref('code_lists') }}
    where code_list = 'intervention_category'

),

intervention_totals as (

    {{ indicator_counts('interventions', 'all_interventions', 'all', "'all'", 'sum(n)') }}

),

intervention_categories as (

    {{ indicator_counts(
        'interventions', 'ims_intervention_share', 'category', 'intervention_category', 'sum(n)'
    ) }}

),

cohort_members as (

    select
        client_periods.*,
        case when client_periods.sex = 'M' then 1 else 0 end as is_male,
        client_periods.cohort || '|' || {{ age_band_five_year('age_at_midpoint') }}
            as cohort_age_band
    from client_periods

),

cohort_sizes as (

    {{ indicator_counts('cohort_members', 'ims_cohort_size', 'cohort', 'cohort', 'count(*)') }}

),

counts as (

    {{ nsp_activity_counts('activity', summed=true) }}
    union all
    {{ nsp_activity_counts(
        'activity_by_cohort', 'cohort', 'cohort', where="cohort <> 'bi_only'", summed=true
    ) }}
    union all
    {{ indicator_counts('cohort_members', 'ims_cohort_size', 'all', "'all'", 'count(*)') }}
    union all
    select * from cohort_sizes
    union all
    {{ indicator_counts(
        'cohort_members', 'ims_cohort_male_share', 'cohort', 'cohort', 'sum(is_male)', 'count(*)'
    ) }}
    union all
    select
        'ims_cohort_age_share' as indicator_code,
        bands.period,
        bands.area_code,
        'cohort_age_band' as breakdown_type,
        bands.breakdown,
        bands.numerator,
        sizes.numerator as denominator
    from (
        {{ indicator_counts(
            'cohort_members', 'ims_cohort_age_share', 'cohort_age_band', 'cohort_age_band',
            'count(*)'
        ) }}
    ) as bands
    inner join cohort_sizes as sizes
        on
            bands.period = sizes.period
            and bands.area_code = sizes.area_code
            and {{ dbt.split_part('bands.breakdown', "'|'", 1) }} = sizes.breakdown
    union all
    {# every category appears for every area and year (0 when none), as the published mix does #}
    select
        'ims_intervention_share' as indicator_code,
        totals.period,
        totals.area_code,
        'category' as breakdown_type,
        categories.intervention_category as breakdown,
        coalesce(intervention_categories.numerator, 0) as numerator,
        totals.numerator as denominator
    from intervention_totals as totals
    cross join categories
    left join intervention_categories
        on
            totals.period = intervention_categories.period
            and totals.area_code = intervention_categories.area_code
            and categories.intervention_category = intervention_categories.breakdown

)

select * from counts
