{#- The current version of every record of a transaction-grain staging model, kept as an
    incremental table: a build takes only the rows of loads above the highest already here, and
    a re-sent record replaces its earlier version (delete+insert on the record key; a later load
    always wins, as in staging). `smw build --full-refresh` (the monthly schedule) rebuilds it
    from every landed file, as does a change of the staging model's columns (dbt stops the build
    and says so). Spark tables without a transactional format cannot delete rows: a plain table
    there. -#}
{% macro accumulated_latest_records(staging_model, record_key) -%}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key=record_key,
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

select * from {{ ref(staging_model) }}
{% if is_incremental() %}
where _load_id > (select coalesce(max(_load_id), -1) from {{ this }})
{% endif %}
{%- endmacro %}


{#- The relation to read a staging model's records from: its accumulated table where it has one
    (the same rows, typed once; tests/integration/test_serving_readers.py checks they are equal), else
    the staging model. The quality marts read every record of every source through this. -#}
{% macro staged_records(staging_model) -%}
    {%- set accumulated = {
        'stg_ims__nsp_transactions': 'int_nsp_transactions_accumulated',
        'stg_ims__interventions': 'int_ims_interventions_accumulated',
    } -%}
    {{ return(ref(accumulated.get(staging_model, staging_model))) }}
{%- endmacro %}
