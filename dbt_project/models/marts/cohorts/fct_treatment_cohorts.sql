with

person_periods as (

    select * from {{ ref('int_treatment_person_periods') }}

)

select
    treatment_period_id,
    person_id,
    period,
    area_code,
    substance_group,
    is_drug_treatment,
    has_ocu_episode,
    sex,
    age_at_midpoint,
    {{ age_band_treatment('age_at_midpoint') }} as age_band,
    is_new_presentation,
    new_presentation_date,
    exit_type,
    latest_discharge_date,
    latest_discharge_reason,
    is_open_at_period_end,
    is_successful_completion,
    has_representation_182d,
    is_successful_completion
    and not has_representation_182d as is_completion_without_representation,
    latest_journey_id,
    latest_journey_start_date,
    journey_days
from person_periods
