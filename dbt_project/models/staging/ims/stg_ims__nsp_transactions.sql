{#- The latest version of each NSP transaction (latest file wins; then the latest row of the
    file), from its base model, typed there row by row. -#}
with

versions as (

    select * from {{ ref('base_ims__nsp_transactions') }}

),

latest as (

    {{ smw.latest_version('versions', 'transaction_id') }}

)

select * from latest
