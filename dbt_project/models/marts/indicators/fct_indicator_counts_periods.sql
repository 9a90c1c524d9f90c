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
    months ending March equal the financial year. Kept per window (smw.windows_to_build): a
    build computes the windows its new loads can change, and those newly covered, and keeps
    the rest. -#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ smw.delete_windows_to_rebuild() }}",
) }}
{%- set since = smw.person_incremental_since() -%}
{#- The person-quarters in each window that holds them, as a subquery that each count reads
    anew from transaction_quarters: as a CTE read six times it was held whole (13 million rows
    at scale 10) beside the other models of the build. -#}
{%- set window_activity -%}
(
    select
        transaction_quarters.person_id,
        transaction_quarters.visits,
        transaction_quarters.needles,
        covered_windows.period,
        transaction_quarters.area_code
    from transaction_quarters
    inner join covered_windows
        on
            covered_windows.source = 'nsp'
            and transaction_quarters.quarter_start_date
            between covered_windows.start_date and covered_windows.end_date
)
{%- endset %}
with

covered as (

    {{ smw.covered_windows() }}

),

covered_windows as {% if since is not none %}materialized {% endif %}(

    {#- the windows computed in this build: named as before, as every count reads them -#}
    {{ smw.windows_to_build('covered', since) }}

),

episodes as (

    {{ person_episodes() }}

),

overlapping as (

    select
        episodes.episode_id,
        episodes.person_id,
        episodes.referral_date,
        episodes.discharge_date,
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

summary as (

    {#- One grouping per person and window: the latest episode (latest referral, then episode id)
        and the episode of the latest discharge in the window as ids (latest_id_by_date), where
        a row_number() window for each held the 7 million rows of overlapping twice at scale 10
        and did not fit in 3 GB (int_treatment_person_periods_summarised does the same for a
        year). -#}
    select
        person_id,
        period,
        max(window_end_date) as window_end_date,
        {{ latest_id_by_date('referral_date', 'episode_id') }} as latest_episode_id,
        {{ latest_id_by_date(
            'case when is_discharged_in_window then discharge_date end', 'episode_id'
        ) }} as discharged_episode_id,
        max(group_rank) between 2 and 4 as is_drug_treatment,
        max(case when is_open_at_window_end then 1 else 0 end) = 1 as is_open_at_window_end
    from overlapping
    group by person_id, period

),

discharge_followups as (

    {#- For each discharged episode, once rather than for each window holding it: the episode's
        discharge category, whether another of the person's episodes is open across the
        discharge, and the first referral after it. The later treatment of a window
        (later_treatment_flag) is the first, or the second within the window. -#}
    select
        discharged.episode_id,
        discharged.discharge_category,
        max(
            case
                when
                    later.referral_date <= discharged.discharge_date
                    and (
                        later.discharge_date is null
                        or later.discharge_date > discharged.discharge_date
                    )
                    then 1
                else 0
            end
        ) = 1 as is_open_across_discharge,
        min(
            case when later.referral_date > discharged.discharge_date then later.referral_date end
        ) as next_referral_date
    from episodes as discharged
    left join episodes as later
        on
            discharged.person_id = later.person_id
            and discharged.episode_id <> later.episode_id
    where
        discharged.discharge_date >= (
            select min(to_build.start_date)
            from covered_windows as to_build
            where to_build.source = 'treatment'
        )
    group by discharged.episode_id, discharged.discharge_category

),

person_windows as (

    {#- One row per person and window, with only what the counts read (the summary is read once:
        a relation read twice is held whole, which at scale 10 did not fit beside the other
        models of the build). -#}
    select
        summary.period,
        latest_episode.area_code,
        summary.is_drug_treatment,
        coalesce(
            followups.discharge_category = 'completed'
            and not followups.is_open_across_discharge
            and not coalesce(followups.next_referral_date <= summary.window_end_date, false)
            and not summary.is_open_at_window_end,
            false
        ) as is_successful_completion
    from summary
    inner join episodes as latest_episode
        on summary.latest_episode_id = latest_episode.episode_id
    left join discharge_followups as followups
        on summary.discharged_episode_id = followups.episode_id

),

transactions as (

    select
        nsp.person_id,
        nsp.needles_issued,
        agencies.la_code as area_code,
        cast({{ dbt.date_trunc('quarter', 'nsp.transaction_date') }} as date) as quarter_start_date
    from {{ ref('int_nsp_transactions_accumulated') }} as nsp
    inner join {{ ref('stg_ims__agencies') }} as agencies
        on nsp.agency_code = agencies.agency_code
    where
        nsp.birth_month_problem is null
        and nsp.transaction_date >= (
            select min(to_build.start_date)
            from covered_windows as to_build
            where to_build.source = 'nsp'
        )

),

transaction_quarters as (

    {#- A person's transactions at an area's agencies in a quarter, summed once: every window is
        whole quarters (financial quarters are calendar quarters), so a quarter lies in a window
        or outside it, and each quarter is then read by the five windows that hold it rather
        than each transaction. -#}
    {{ nsp_activity_summed('transactions', 'person_id, area_code, quarter_start_date') }}

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
    {{ nsp_activity_counts(window_activity, summed=true) }}
    union all
    {{ dip_funnel_counts('contacts') }}

)

select
    *,
    {{ smw.person_inputs_through_load() }} as _through_load_id
from counts
