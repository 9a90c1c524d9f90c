{#- The latest version of each IMS brief intervention (latest file wins; then the latest row of the
    file), from its base model, typed there row by row. -#}
with

versions as (

    select * from {{ ref('base_ims__interventions') }}

),

latest as (

    {{ smw.latest_version('versions', 'intervention_id') }}

)

select * from latest
