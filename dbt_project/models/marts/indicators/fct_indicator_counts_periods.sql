{#- domain (Periods beyond the financial year): the headline treatment, NSP and DIP counts and
    proportions (breakdown 'all') for quarters and rolling twelve months (dim_reporting_periods),
    per local authority and for the region, with the annual rules applied to the window:
    - tx_in_treatment / tx_successful_completion: a person is in treatment in a window when an
      episode overlaps it (referral_date <= window end and discharge empty or >= window start);
      drug treatment by the highest substance group of those episodes; area the residence on
      the latest of them; a successful completion is a latest discharge in the window that is
      a completion, with no later episode referred in the window and none still open after it
      (as int_treatment_person_periods does for a financial year);
    - nsp_clients / nsp_visits / nsp_needles: distinct people, transactions and needles issued
      at the area's agencies in the window;
    - dip_contacts, dip_assessed, dip_further_required, dip_caseload: the funnel over contacts
      in the window, in the CJIT's area.
    Only windows the source covers whole are computed: from the start of its first covered
    financial year to its latest date (int_source_coverage_summarised); the rolling twelve
    months ending March equal the financial year. -#}
with

windows as (

    select * from {{ ref('dim_reporting_periods') }}
    where period_type in ('quarter', 'rolling_12m')

),

coverage as (

    select * from {{ ref('int_source_coverage_summarised') }}

),

covered_windows as (

    select
        coverage.source,
        windows.period,
        windows.start_date,
        windows.end_date
    from windows
    inner join coverage
        on
            windows.end_date <= coverage.data_as_of_date
            and windows.start_date >= {{ financial_year_start('coverage.first_period') }}

),

episodes as (

    select * from {{ ref('int_treatment_episodes_grouped') }}
    where person_id is not null and referral_date is not null

),

overlapping as (

    select
        episodes.episode_id,
        episodes.person_id,
        episodes.area_code,
        episodes.referral_date,
        episodes.discharge_date,
        episodes.discharge_category,
        covered_windows.period,
        covered_windows.end_date as window_end_date,
        episodes.discharge_date between covered_windows.start_date and covered_windows.end_date
            as is_discharged_in_window,
        episodes.discharge_date is null
        or episodes.discharge_date > covered_windows.end_date as is_open_at_window_end,
        {{ substance_group_rank('episodes.substance_group') }} as group_rank
    from episodes
    inner join covered_windows
        on
            covered_windows.source = 'treatment'
            and {{ smw.episode_overlaps(
                'episodes', 'covered_windows.start_date', 'covered_windows.end_date'
            ) }}

),

latest_episode as (

    {{ smw.top_row_per_group(
        'overlapping', 'person_id, period', 'referral_date desc, episode_id desc',
        columns='person_id, period, area_code'
    ) }}

),

latest_discharge as (

    {{ smw.top_row_per_group(
        'overlapping', 'person_id, period', 'discharge_date desc, episode_id desc',
        columns='person_id, period, episode_id, discharge_date, discharge_category, window_end_date',
        where='is_discharged_in_window'
    ) }}

),

later_treatment as (

    select
        latest_discharge.person_id,
        latest_discharge.period,
        max(
            {{ later_treatment_flag(
                'later', 'latest_discharge.discharge_date', 'latest_discharge.window_end_date'
            ) }}
        ) = 1 as has_later_treatment
    from latest_discharge
    inner join episodes as later
        on
            latest_discharge.person_id = later.person_id
            and latest_discharge.episode_id <> later.episode_id
    group by latest_discharge.person_id, latest_discharge.period

),

summary as (

    select
        person_id,
        period,
        max(group_rank) as group_rank,
        max(case when is_open_at_window_end then 1 else 0 end) = 1 as is_open_at_window_end
    from overlapping
    group by person_id, period

),

person_windows as (

    select
        summary.person_id,
        summary.period,
        latest_episode.area_code,
        summary.group_rank between 2 and 4 as is_drug_treatment,
        coalesce(
            latest_discharge.discharge_category = 'completed'
            and not coalesce(later_treatment.has_later_treatment, false)
            and not summary.is_open_at_window_end,
            false
        ) as is_successful_completion
    from summary
    inner join latest_episode
        on summary.person_id = latest_episode.person_id and summary.period = latest_episode.period
    left join latest_discharge
        on
            summary.person_id = latest_discharge.person_id
            and summary.period = latest_discharge.period
    left join later_treatment
        on summary.person_id = later_treatment.person_id and summary.period = later_treatment.period

),

transactions as (

    select
        nsp.person_id,
        nsp.needles_issued,
        covered_windows.period,
        agencies.la_code as area_code
    from {{ ref('int_nsp_transactions_accumulated') }} as nsp
    inner join {{ ref('stg_ims__agencies') }} as agencies
        on nsp.agency_code = agencies.agency_code
    inner join covered_windows
        on
            covered_windows.source = 'nsp'
            and nsp.transaction_date between covered_windows.start_date and covered_windows.end_date
    where nsp.birth_month_problem is null

),

contacts as (

    select
        dip.is_assessed,
        dip.is_further_required,
        dip.is_taken_onto_caseload,
        covered_windows.period,
        dip.cjit_code as area_code
    from {{ ref('int_dip_contacts_classified') }} as dip
    inner join covered_windows
        on
            covered_windows.source = 'dip'
            and dip.contact_date between covered_windows.start_date and covered_windows.end_date

),

counts as (

    {{ treatment_counts('person_windows', 'tx_in_treatment') }}
    union all
    {{ treatment_counts(
        'person_windows', 'tx_successful_completion',
        'sum(case when is_successful_completion then 1 else 0 end)', 'count(*)'
    ) }}
    union all
    {{ nsp_activity_counts('transactions') }}
    union all
    {{ dip_funnel_counts('contacts') }}

)

select * from counts
