with

new_presentations as (

    select * from {{ ref('int_treatment_new_presentations_measured') }}

)

select * from new_presentations
