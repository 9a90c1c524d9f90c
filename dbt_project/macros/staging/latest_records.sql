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
source as (

    select * from {{ source(source_name, table_name) }}

),

keyed as (

    select
        *,
        {{ smw.staging_record_key(record_key) }} as _record_key
    from source

),

latest as (

    {{ smw.latest_record('keyed', ['_record_key']) }}

)
{%- if event_date is not none %},

checked as (

    {{ smw.birth_month_checked('latest', event_date) }}

)
{%- endif %}
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
