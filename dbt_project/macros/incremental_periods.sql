{#- Models kept per reporting window (issue 19): fct_indicator_counts_periods computes each
    quarter and rolling twelve months of a source from that source's records, so a build
    recomputes only the windows a new load can change and keeps the others' rows.

    A window of a source is recomputed when it ends on or after the earliest changed_from_date
    of the source's records written to int_person_records_tracked since the model's marker
    (`_through_load_id`, as for the models kept per person): a new record changes the windows
    from its date, a re-sent one from the earlier of its two versions' dates, an episode whose
    discharge alone changed from the earlier discharge date. A window's counts read its records
    as they stand at its end (an episode's later discharge or later referral only as "after
    the end"), so a window ending before that date sees nothing new. Windows the source has
    come to cover since (a new month) are computed, and windows it no longer covers are
    deleted. Everything is recomputed when the model has no marker, on a full refresh, and
    whenever a model kept per person would recompute everyone (smw.person_incremental_since:
    agencies sent since, or the index moved on without this model). A change to the code lists
    or to the model's logic needs the full refresh, as for every incremental model. -#}

{#- The source of each of the model's rows, from its indicator code, and the extract (in
    int_person_records_tracked) whose records it counts. -#}
{% macro window_sources() -%}
    {{ return({'treatment': ('tx_', 'ndtms_episodes'),
               'nsp': ('nsp_', 'ims_nsp_transactions'),
               'dip': ('dip_', 'dip_contacts')}) }}
{%- endmacro %}


{% macro window_source_of(indicator_code) -%}
    case
        {%- for source, (prefix, _) in smw.window_sources().items() %}
        when {{ indicator_code }} like '{{ prefix }}%' then '{{ source }}'
        {%- endfor %}
    end
{%- endmacro %}


{#- The windows each source covers whole (source, period, start_date, end_date): from the
    start of its first covered financial year to its latest date (int_source_coverage_summarised),
    quarters and rolling twelve months (dim_reporting_periods). -#}
{% macro covered_windows() -%}
    select
        coverage.source,
        windows.period,
        windows.start_date,
        windows.end_date
    from {{ ref('dim_reporting_periods') }} as windows
    inner join {{ ref('int_source_coverage_summarised') }} as coverage
        on
            windows.end_date <= coverage.data_as_of_date
            and windows.start_date >= {{ financial_year_start('coverage.first_period') }}
    where windows.period_type in ('quarter', 'rolling_12m')
{%- endmacro %}


{#- The earliest date each source's records changed from since the load `since`
    (source, changed_from_date); a source with no change has no row. -#}
{% macro window_changes_since(since) -%}
    select
        case
            {%- for source, (_, extract) in smw.window_sources().items() %}
            when source_name = '{{ extract }}' then '{{ source }}'
            {%- endfor %}
        end as source,
        min(changed_from_date) as changed_from_date
    from {{ ref('int_person_records_tracked') }}
    where _load_id > {{ since }} and changed_from_date is not null
    group by source_name
{%- endmacro %}


{#- The covered windows to compute in this build (all when since is none): those a change
    reaches, and those with no row here yet. `covered` is a relation (or a parenthesised
    query) of covered_windows(); the model reads it, and its pre-hook deletes those windows. -#}
{% macro windows_to_build(covered, since) -%}
    select covered.*
    from {{ covered }} as covered
    {%- if since is not none %}
    left join ({{ smw.window_changes_since(since) }}) as changes
        on covered.source = changes.source
    where
        covered.end_date >= changes.changed_from_date
        or not exists (
            select 1
            from {{ this }} as kept
            where
                kept.period = covered.period
                and {{ smw.window_source_of('kept.indicator_code') }} = covered.source
        )
    {%- endif %}
{%- endmacro %}


{#- The pre-hook: on an incremental run, delete the rows of the windows about to be computed
    and of the windows no longer covered (every row when everything is recomputed). -#}
{% macro delete_windows_to_rebuild() -%}
    {%- if is_incremental() -%}
        {%- set since = smw.person_incremental_since() -%}
        delete from {{ this }}
        {%- if since is not none %}
        where
            {{ smw.window_source_of('indicator_code') }} || '|' || period not in (
                select source || '|' || period from ({{ smw.covered_windows() }}) as covered
            )
            or {{ smw.window_source_of('indicator_code') }} || '|' || period in (
                select to_build.source || '|' || to_build.period
                from ({{ smw.windows_to_build('(' ~ smw.covered_windows() ~ ')', since) }})
                    as to_build
            )
        {%- endif %}
    {%- endif %}
{%- endmacro %}
