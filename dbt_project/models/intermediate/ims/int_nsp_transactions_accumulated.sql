{#- The current version of every NSP transaction, typed once and kept as a table that grows with
    each load (incremental): a build parses only the rows of files landed since the last build,
    and a re-sent transaction replaces its earlier version (delete+insert on the record key; a
    later load always wins, as in staging). The monthly schedule (`smw build --full-refresh`)
    rebuilds it from every landed file; so does a change of the staging model's columns. Spark
    tables without a transactional format cannot delete rows, so there it is a plain table. -#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='transaction_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

transactions as (

    select * from {{ ref('stg_ims__nsp_transactions') }}

)

select * from transactions
{% if is_incremental() %}
where _load_id > (select coalesce(max(_load_id), -1) from {{ this }})
{% endif %}
