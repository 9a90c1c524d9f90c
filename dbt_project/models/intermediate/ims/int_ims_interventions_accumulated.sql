{#- The current version of every IMS brief intervention, typed once and kept as a table that
    grows with each load (incremental), as int_nsp_transactions_accumulated: a build parses only
    the rows of files landed since the last build; a re-sent intervention replaces its earlier
    version; `smw build --full-refresh` (the monthly schedule) rebuilds it from every file. -#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='intervention_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

interventions as (

    select * from {{ ref('stg_ims__interventions') }}

)

select * from interventions
{% if is_incremental() %}
where _load_id > (select coalesce(max(_load_id), -1) from {{ this }})
{% endif %}
