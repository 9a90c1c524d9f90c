with

client_periods as (

    select * from {{ ref('int_ims_client_periods') }}

)

select
    client_period_id,
    person_id,
    period,
    area_code,
    cohort,
    sex,
    age_at_midpoint,
    {{ age_band_five_year('age_at_midpoint') }} as age_band,
    main_substance,
    second_substance,
    nsp_visits,
    iped_visits,
    psychoactive_visits,
    needles,
    interventions
from client_periods
