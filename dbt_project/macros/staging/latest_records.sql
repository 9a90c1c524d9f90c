{#- The opening every staging model shares (extract spec: raw keeps every row as sent), written
    once: the CTEs `source` (the raw table), `keyed` (each row's record key, `_record_key`) and
    `latest` (the current version of each record: smw.latest_record), then, for a source whose
    records are linked to people, `checked` (smw.birth_month_checked). A model opens with
    `with {{ smw.staging_latest_records(...) }},` and types its own columns in a CTE reading
    `latest`, or `checked` when `event_date` is given.

    record_key: the record's id column, a text (a blank id keys the row by its load and row
    number, 'missing:<load>:<row>', so that it is still kept and reported), or the columns of a
    natural key, a list (each lower-cased and trimmed, blank as '', joined by '|').
    event_date: the raw text column of the record's event, when the source carries people
    (person_id, birth_month): issue 22, a record whose date of birth cannot be true is rejected. -#}
{% macro staging_latest_records(source_name, table_name, record_key, event_date=none) -%}
{{ smw.staging_keyed(source_name, table_name, record_key) }},

latest as (

    {{ smw.latest_record('keyed', ['_record_key']) }}

)
{%- if event_date is not none %},

checked as (

    {{ smw.birth_month_checked('latest', event_date) }}

)
{%- endif %}
{%- endmacro %}


{#- The opening of a base model (a source too large to read whole at every build: the NSP
    transactions and IMS interventions): `source` and `keyed` as in staging_latest_records, and
    `checked` over every version of every record, row by row. Its staging model keeps the
    latest version of each (latest_version); its accumulated model (accumulated_latest_records)
    reads only the loads it has not seen, a filter on _load_id that reaches the scan of raw,
    as no window stands between them. -#}
{% macro staging_versions(source_name, table_name, record_key, event_date) -%}
{{ smw.staging_keyed(source_name, table_name, record_key) }},

checked as (

    {{ smw.birth_month_checked('keyed', event_date) }}

)
{%- endmacro %}


{#- The CTEs `source` (the raw table) and `keyed` (each row's record key, `_record_key`). -#}
{% macro staging_keyed(source_name, table_name, record_key) -%}
source as (

    select * from {{ source(source_name, table_name) }}

),

keyed as (

    select
        *,
        {{ smw.staging_record_key(record_key) }} as _record_key
    from source

)
{%- endmacro %}


{#- The latest version of each record of relation (one row per version, with record_key,
    _load_id and _row_number): the row that no later row of the same record follows (a later
    load, or a later row of the same load), as smw.latest_record keeps, with relation's columns
    only. An anti-join, not a window: DuckDB, PostgreSQL and Spark run it alike. -#}
{% macro latest_version(relation, record_key) -%}
    select versions.*
    from {{ relation }} as versions
    left join {{ relation }} as later
        on
            versions.{{ record_key }} = later.{{ record_key }}
            and (
                later._load_id > versions._load_id
                or (later._load_id = versions._load_id and later._row_number > versions._row_number)
            )
    where later.{{ record_key }} is null
{%- endmacro %}


{#- A staging row's record key (see staging_latest_records): from an id column, or a natural key. -#}
{% macro staging_record_key(record_key) -%}
    {%- if record_key is string -%}
        coalesce(
            {{ smw.clean_text(record_key) }},
            'missing:' || cast(_load_id as {{ dbt.type_string() }})
            || ':' || cast(_row_number as {{ dbt.type_string() }})
        )
    {%- else -%}
        {%- for column in record_key -%}
            {{ "\n        || '|' || " if not loop.first }}coalesce(lower(trim({{ column }})), '')
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{#- The columns that close every staging model's typed select: for a source whose records are
    linked to people (staging_latest_records with an event_date), the person (null when the record's
    date of birth cannot be true), its birth-month check and its attributor status; then, for
    every source, where the row was loaded from and whether its file had columns beyond the spec. -#}
{% macro staging_record_columns(linked_to_people=false) -%}
    {%- if linked_to_people -%}
        case when birth_month_problem is null then person_id end as person_id,
        birth_month_problem,
        birth_month,
        attributor_status,
        attributor_status = 'complete' as has_complete_attributor,
    {% endif -%}
        _load_id,
        _file_name,
        _row_number,
        _extra is not null as has_extra_columns
{%- endmacro %}
