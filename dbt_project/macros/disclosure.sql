{#- domain (Disclosure control): primary suppression. A count in the policy's suppressed range is
    published as null with its row flagged; zero is never suppressed. Policies:
    under5   - counts 1-4 suppressed (the source documents' rule; the default)
    nhs_1to7 - counts 1-7 suppressed, the rest rounded to the nearest 5 -#}
{% macro is_primary_suppressed(count_column, policy=none) -%}
    {%- set policy = policy or var('disclosure_policy') -%}
    {%- if policy == 'under5' -%}
        ({{ count_column }} between 1 and 4)
    {%- elif policy == 'nhs_1to7' -%}
        ({{ count_column }} between 1 and 7)
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown disclosure policy: " ~ policy) }}
    {%- endif -%}
{%- endmacro %}

{% macro published_count(count_column, suppressed_flag, policy=none) -%}
    {%- set policy = policy or var('disclosure_policy') -%}
    case
        when {{ suppressed_flag }} then null
        {%- if policy == 'nhs_1to7' %}
        else cast(round({{ count_column }} / 5.0) * 5 as {{ dbt.type_bigint() }})
        {%- else %}
        else {{ count_column }}
        {%- endif %}
    end
{%- endmacro %}

{#- domain (Disclosure control): secondary suppression. Counts are cells; a group is a set of
    cells whose sum is published as a total cell. When a group has exactly one suppressed cell
    and its total is published, that cell could be recovered by subtraction, so the next
    smallest unsuppressed cell of the group is suppressed too - non-zero cells first, and among
    those a complement ("not known", "not stated", "not recorded": is_complement) before a named
    group, since either protects the cell equally and hiding the residual category loses less -
    or, when the group has no other cell, its total. Equal candidates are ordered by cell_id
    (quantity|period|area_code|breakdown_type|breakdown: codes, never labels or sort_order), so
    the choice is a total order of the data itself and two publications of the same data hide
    the same cells (else one reader could subtract the other's). cell_id is compared in byte
    order, as DuckDB and Spark do and as the PostgreSQL peer does (initdb --locale=C; a server
    with another collation could break ties differently). A cell may sit in several groups (a
    local authority x breakdown cell is in its area group and its breakdown group), so the rule
    is applied in rounds until nothing changes; a data test checks that the last round left no group
    recoverable. Returns cell_id, is_suppressed, suppression_round (0 = primary).
      cells:       cell_id, cell_count, is_primary_suppressed, is_complement
      memberships: group_id, cell_id, is_total -#}
{% macro secondary_suppression(cells, memberships, rounds=8) -%}
    {{ return(adapter.dispatch('secondary_suppression', 'smw')(cells, memberships, rounds)) }}
{%- endmacro %}

{% macro default__secondary_suppression(cells, memberships, rounds) -%}
    with

    state_0 as (

        select
            cell_id,
            is_primary_suppressed as is_suppressed,
            case when is_primary_suppressed then 0 end as suppression_round
        from {{ cells }}

    ){% for r in range(rounds) %},

    groups_{{ r }} as (

        select
            memberships.group_id,
            sum(case when state.is_suppressed and not memberships.is_total then 1 else 0 end) as suppressed_cells,
            max(case when memberships.is_total and not state.is_suppressed then 1 else 0 end) as is_total_published
        from {{ memberships }} as memberships
        inner join state_{{ r }} as state
            on memberships.cell_id = state.cell_id
        group by memberships.group_id

    ),

    exposed_{{ r }} as (

        select group_id
        from groups_{{ r }}
        where suppressed_cells = 1 and is_total_published = 1

    ),

    candidates_{{ r }} as (

        select
            memberships.group_id,
            memberships.cell_id,
            row_number() over (
                partition by memberships.group_id
                order by
                    case when cells.cell_count = 0 then 1 else 0 end,
                    case when cells.is_complement then 0 else 1 end,
                    cells.cell_count,
                    memberships.cell_id
            ) as candidate_rank
        from {{ memberships }} as memberships
        inner join exposed_{{ r }} as exposed
            on memberships.group_id = exposed.group_id
        inner join state_{{ r }} as state
            on memberships.cell_id = state.cell_id
        inner join {{ cells }} as cells
            on memberships.cell_id = cells.cell_id
        where not memberships.is_total and not state.is_suppressed

    ),

    picked_{{ r }} as (

        select cell_id from candidates_{{ r }} where candidate_rank = 1
        union
        select memberships.cell_id
        from {{ memberships }} as memberships
        inner join exposed_{{ r }} as exposed
            on memberships.group_id = exposed.group_id
        where
            memberships.is_total
            and not exists (
                select 1 from candidates_{{ r }} as candidates where candidates.group_id = memberships.group_id
            )

    ),

    state_{{ r + 1 }} as (

        select
            state.cell_id,
            state.is_suppressed or picked.cell_id is not null as is_suppressed,
            case
                when state.is_suppressed then state.suppression_round
                when picked.cell_id is not null then {{ r + 1 }}
            end as suppression_round
        from state_{{ r }} as state
        left join picked_{{ r }} as picked
            on state.cell_id = picked.cell_id

    ){% endfor %}

    select cell_id, is_suppressed, suppression_round from state_{{ rounds }}
{%- endmacro %}

{#- Spark: the same rounds, written so that each round reads the previous one once. Spark
    expands CTEs into the query plan, and the rounds above read the previous state four times
    (groups, candidates, the state itself), so eight rounds make a plan of 4^8 copies and the
    optimiser runs out of memory. Here one pass over state x memberships computes, with window
    functions per group, what the separate CTEs compute (suppressed cells, a published total,
    the first candidate, whether there is one), and the next state is an aggregate of it per
    cell. The comparison test (tests/integration/test_spark_engine.py) checks both give the
    same serving tables. -#}
{% macro spark__secondary_suppression(cells, memberships, rounds) -%}
    with

    state_0 as (

        select
            cell_id,
            cell_count,
            case when is_complement then 0 else 1 end as complement_order,
            is_primary_suppressed as is_suppressed,
            case when is_primary_suppressed then 0 end as suppression_round
        from {{ cells }}

    ){% for r in range(rounds) %},

    members_{{ r }} as (

        select
            state.cell_id,
            state.cell_count,
            state.complement_order,
            state.is_suppressed,
            state.suppression_round,
            memberships.group_id,
            memberships.is_total,
            coalesce(not memberships.is_total and not state.is_suppressed, false) as is_candidate
        from state_{{ r }} as state
        left join {{ memberships }} as memberships
            on state.cell_id = memberships.cell_id

    ),

    judged_{{ r }} as (

        select
            *,
            sum(case when is_suppressed and not is_total then 1 else 0 end)
                over (partition by group_id) as suppressed_cells,
            max(case when is_total and not is_suppressed then 1 else 0 end)
                over (partition by group_id) as is_total_published,
            max(case when is_candidate then 1 else 0 end) over (partition by group_id) as has_candidates,
            row_number() over (
                partition by group_id
                order by
                    case when is_candidate then 0 else 1 end,
                    case when cell_count = 0 then 1 else 0 end,
                    complement_order,
                    cell_count,
                    cell_id
            ) as candidate_rank
        from members_{{ r }}

    ),

    state_{{ r + 1 }} as (

        select
            cell_id,
            max(cell_count) as cell_count,
            max(complement_order) as complement_order,
            max(case
                when is_suppressed then 1
                when group_id is not null and suppressed_cells = 1 and is_total_published = 1
                    and ((is_candidate and candidate_rank = 1) or (is_total and has_candidates = 0))
                    then 1
                else 0
            end) = 1 as is_suppressed,
            coalesce(max(suppression_round), case when max(case
                when group_id is not null and suppressed_cells = 1 and is_total_published = 1
                    and ((is_candidate and candidate_rank = 1) or (is_total and has_candidates = 0))
                    then 1
                else 0
            end) = 1 then {{ r + 1 }} end) as suppression_round
        from judged_{{ r }}
        group by cell_id

    ){% endfor %}

    select cell_id, is_suppressed, suppression_round from state_{{ rounds }}
{%- endmacro %}

{#- domain (Disclosure control): a breakdown that is a residual category of recording - sex
    not known ('unknown'), ethnicity not stated, offence not known, not recorded - alone or as
    one part of a nested breakdown ('unknown|25-29'). Secondary suppression hides these before
    named groups. 'not_known' is not one: it is "not known to treatment" (the bullseye's
    outer ring, people with positive tests), a finding rather than a gap in recording. -#}
{% macro is_complement_breakdown(breakdown_column) -%}
    {%- set codes = ['unknown', 'not_stated', 'not_recorded'] -%}
    (
        {%- for code in codes %}
        {{ breakdown_column }} = '{{ code }}'
        or {{ breakdown_column }} like '{{ code }}|%'
        or {{ breakdown_column }} like '%|{{ code }}'
        {%- if not loop.last %}
        or{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
