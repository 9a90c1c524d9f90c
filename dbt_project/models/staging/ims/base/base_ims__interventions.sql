{#- Every version of every IMS brief intervention as sent (raw keeps every row), typed row by row:
    stg_ims__interventions keeps the latest version of each, and the accumulated model reads
    the loads it has not seen from here (see smw.staging_versions). -#}
with

{{ smw.staging_versions(
    'ims', 'ims_interventions', 'intervention_id', event_date='intervention_date'
) }},

typed as (

    select
        _record_key as intervention_id,
        {{ clean_text('agency_code') }} as agency_code,
        {{ parse_date('intervention_date') }} as intervention_date,
        {{ normalise_code('sex', 'sex') }} as sex,
        {{ normalise_la_code('client_la_code') }} as client_la_code,
        {{ normalise_code('intervention_category', 'intervention_category') }}
            as intervention_category,
        {{ normalise_code('main_substance', 'ims_substance') }} as main_substance,
        {{ normalise_code('second_substance', 'ims_substance') }} as second_substance,
        {{ clean_text('intervention_id') }} as intervention_id_text,
        {{ clean_text('intervention_date') }} as intervention_date_text,
        {{ smw.staging_record_columns(linked_to_people=true) }}

    from checked

)

select * from typed
