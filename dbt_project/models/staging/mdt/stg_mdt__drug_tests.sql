{#- The latest version of each drug test (latest file wins; then the latest row of the
    file), from its base model, typed there row by row. -#}
with

versions as (

    select * from {{ ref('base_mdt__drug_tests') }}

),

latest as (

    {{ smw.latest_version('versions', 'test_id') }}

)

select * from latest
