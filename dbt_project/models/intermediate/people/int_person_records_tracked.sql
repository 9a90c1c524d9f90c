{#- Which person each landed record belongs to now, and belonged to before its latest version:
    the index the models kept per person read to find the people whose records changed since
    they were last built (see smw.person_incremental_config). One row per record of every
    person-level extract (its current version, from the base models: every version, typed row
    by row) and per agency (no person: a new agencies snapshot recomputes everyone).
    Incremental: a build reads the versions of loads above the highest here (the filter reaches
    the scan of raw), keeps the latest of each record and replaces its row (delete+insert on the
    record), with the person of the row it replaces as previous_person_id and the load it
    started from as _since_load_id. It also keeps the dates that place the record in periods,
    and changed_from_date, the earliest date whose periods the latest version can change (the
    models kept per period read it: smw.period_incremental_since). -#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='record_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{%- set since = smw.highest_load_here() %}
with

versions as (

    {% for table_name, base_model, record_key, event_date, ends
        in smw.person_level_sources() -%}
    select
        '{{ table_name }}' as source_name,
        '{{ table_name }}:' || {{ record_key }} as record_key,
        person_id,
        {{ event_date }} as event_date,
        {% if ends -%}
        {{ ends[0] }} as end_date,
        {%- for column in ends %}
        {{ "|| '|' || " if not loop.first -}}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '~')
        {%- endfor %} as end_key,
        {{ smw.record_content_hash(base_model, ends) }} as content_hash,
        {%- else -%}
        cast(null as date) as end_date,
        cast(null as {{ dbt.type_string() }}) as end_key,
        cast(null as {{ dbt.type_string() }}) as content_hash,
        {%- endif %}
        _load_id,
        _row_number
    from {{ ref(base_model) }}
    {%- if since is not none %}
    where _load_id > {{ since }}
    {%- endif %}

    union all

    {% endfor -%}
    select
        'ims_agencies' as source_name,
        'ims_agencies:' || agency_code as record_key,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as date) as event_date,
        cast(null as date) as end_date,
        cast(null as {{ dbt.type_string() }}) as end_key,
        cast(null as {{ dbt.type_string() }}) as content_hash,
        _load_id,
        _row_number
    from {{ ref('stg_ims__agencies') }}
    {%- if since is not none %}
    where _load_id > {{ since }}
    {%- endif %}

),

latest as (

    {{ smw.latest_version('versions', 'record_key') }}

)

select
    latest.record_key,
    latest.source_name,
    latest.person_id,
    latest._load_id,
    {% if since is not none -%}
    previous.person_id as previous_person_id,
    {%- else -%}
    cast(null as {{ dbt.type_string() }}) as previous_person_id,
    {%- endif %}
    {{ since if since is not none else -1 }} as _since_load_id,
    latest.event_date,
    latest.end_date,
    latest.end_key,
    latest.content_hash,
    {% if since is not none -%}
    case
        when previous.record_key is null then latest.event_date
        -- a version without its date, or a row written before the dates were kept
        when previous.event_date is null or latest.event_date is null
            then cast('0001-01-01' as date)
        when
            previous.content_hash = latest.content_hash
            and previous.event_date = latest.event_date
            then case
                when previous.end_key = latest.end_key then null
                else coalesce(
                    least(
                        coalesce(previous.end_date, latest.end_date),
                        coalesce(latest.end_date, previous.end_date)
                    ),
                    latest.event_date
                )
            end
        else least(previous.event_date, latest.event_date)
    end
    {%- else -%}
    latest.event_date
    {%- endif %} as changed_from_date
from latest
{%- if since is not none %}
left join {{ this }} as previous
    on latest.record_key = previous.record_key
{%- endif %}
