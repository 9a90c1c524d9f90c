{#- Which person each landed record belongs to now, and belonged to before its latest version:
    the index the models kept per person read to find the people whose records changed since
    they were last built (see smw.person_incremental_config). One row per record of every
    person-level extract (its current version, from the base models: every version, typed row
    by row) and per agency (no person: a new agencies snapshot recomputes everyone).
    Incremental: a build reads the versions of loads above the highest here (the filter reaches
    the scan of raw), keeps the latest of each record and replaces its row (delete+insert on the
    record), with the person of the row it replaces as previous_person_id and the load it
    started from as _since_load_id. -#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='record_key',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{%- set since = smw.highest_load_here() %}
with

versions as (

    {% for table_name, base_model, record_key in smw.person_level_sources() -%}
    select
        '{{ table_name }}' as source_name,
        '{{ table_name }}:' || {{ record_key }} as record_key,
        person_id,
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
    {{ since if since is not none else -1 }} as _since_load_id
from latest
{%- if since is not none %}
left join {{ this }} as previous
    on latest.record_key = previous.record_key
{%- endif %}
