{#- Every version of every treatment episode as sent (raw keeps every row), typed row by row:
    stg_ndtms__episodes keeps the latest version of each, and int_person_records_tracked reads
    the new loads' versions (see smw.staging_versions). -#}
with

{{ smw.staging_versions(
    'ndtms', 'ndtms_episodes', 'episode_id', event_date='referral_date'
) }},

typed as (

    select
        _record_key as episode_id,
        {{ clean_text('provider_code') }} as provider_code,
        {{ normalise_code('sex', 'sex') }} as sex,
        {{ normalise_code('ethnicity', 'ethnicity') }} as ethnicity,
        {{ normalise_la_code('client_la_code') }} as client_la_code,
        {{ parse_date('referral_date') }} as referral_date,
        {{ normalise_code('referral_source', 'referral_source') }} as referral_source,
        {{ parse_date('triage_date') }} as triage_date,
        {{ parse_date('first_intervention_date') }} as first_intervention_date,
        {{ normalise_code('setting', 'setting') }} as setting,
        {{ normalise_code('substance_1', 'treatment_substance') }} as substance_1,
        {{ normalise_code('substance_2', 'treatment_substance') }} as substance_2,
        {{ normalise_code('substance_3', 'treatment_substance') }} as substance_3,
        {{ normalise_code('injecting_status', 'injecting_status') }} as injecting_status,
        {{ normalise_code('accommodation_need', 'accommodation_need') }} as accommodation_need,
        {{ normalise_code('employment_status', 'employment_status') }} as employment_status,
        {{ normalise_code('parental_status', 'parental_status') }} as parental_status,
        {{ parse_date('discharge_date') }} as discharge_date,
        {{ normalise_code('discharge_reason', 'discharge_reason') }} as discharge_reason,
        {{ normalise_code('hbv_vaccination', 'hbv_vaccination') }} as hbv_vaccination,
        {{ normalise_code('hcv_tested', 'hcv_tested') }} as hcv_tested,
        {{ clean_text('episode_id') }} as episode_id_text,
        {{ clean_text('referral_date') }} as referral_date_text,
        {{ clean_text('triage_date') }} as triage_date_text,
        {{ clean_text('first_intervention_date') }} as first_intervention_date_text,
        {{ clean_text('discharge_date') }} as discharge_date_text,
        {{ smw.staging_record_columns(linked_to_people=true) }}

    from checked

)

select * from typed
