{#- The latest version of each treatment episode (latest file wins; then the latest row of the
    file), from its base model, typed there row by row. -#}
with

versions as (

    select * from {{ ref('base_ndtms__episodes') }}

),

latest as (

    {{ smw.latest_version('versions', 'episode_id') }}

)

select * from latest
