{#- The current version of every record of a transaction-grain source, kept as an incremental
    table: a build takes only the rows of loads above the highest already here, and a re-sent
    record replaces its earlier version (delete+insert on the record key; a later load always
    wins, as in staging). It reads the source's base model (every version, typed row by row)
    with that load as a constant, so the filter reaches the scan of raw and a build reads the new
    loads only, where filtering the staging view read and ranked every row landed (70 s at
    scale 10 for a build with nothing new). Only the new loads' versions are ranked: any
    earlier version is in an earlier load, and the delete+insert replaces it. `smw build
    --full-refresh` (the monthly schedule) rebuilds it from every landed file, as does a change
    of the model's columns (dbt stops the build and says so). Spark tables without a
    transactional format cannot delete rows: a plain table there. -#}
{% macro accumulated_latest_records(base_model, record_key) -%}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key=record_key,
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
{%- set highest = smw.highest_load_here() -%}
{%- set last_load = highest if highest is not none else -1 %}

with

versions as (

    select * from {{ ref(base_model) }}
    where _load_id > {{ last_load }}

)

{{ smw.latest_version('versions', record_key) }}
{%- endmacro %}


{#- The accumulated table of each staging model that has one (accumulated_latest_records): the
    same rows, typed once; tests/integration/test_serving_readers.py checks they are equal. -#}
{% macro accumulated_tables() -%}
    {{ return({
        'stg_ims__nsp_transactions': 'int_nsp_transactions_accumulated',
        'stg_ims__interventions': 'int_ims_interventions_accumulated',
        'stg_ndtms__episodes': 'int_ndtms_episodes_accumulated',
        'stg_ndtms__top_reviews': 'int_ndtms_top_reviews_accumulated',
        'stg_dip__contacts': 'int_dip_contacts_accumulated',
        'stg_mdt__drug_tests': 'int_mdt_drug_tests_accumulated',
    }) }}
{%- endmacro %}


{#- The relation to read a staging model's records from: its accumulated table where it has one,
    else the staging model. The quality marts read every record of every source through this. -#}
{% macro staged_records(staging_model) -%}
    {{ return(ref(smw.accumulated_tables().get(staging_model, staging_model))) }}
{%- endmacro %}


{#- The highest _load_id of the incremental model being built, or none on a full build (or an
    empty table): the loads above it are the new ones. -#}
{% macro highest_load_here() -%}
    {%- if execute and is_incremental() -%}
        {{ return(run_query('select max(_load_id) from ' ~ this).columns[0].values()[0]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}
