{#- The latest version of each Treatment Outcomes Profile review (latest file wins; then the
    latest row of the file), from its base model, typed there row by row. -#}
with

versions as (

    select * from {{ ref('base_ndtms__top_reviews') }}

),

latest as (

    {{ smw.latest_version('versions', 'top_id') }}

)

select * from latest
