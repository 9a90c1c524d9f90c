{#- The latest version of each DIP contact (latest file wins; then the latest row of the
    file), from its base model, typed there row by row. -#}
with

versions as (

    select * from {{ ref('base_dip__contacts') }}

),

latest as (

    {{ smw.latest_version('versions', 'contact_id') }}

)

select * from latest
