{#- Every version of every DIP contact as sent (raw keeps every row), typed row by row:
    stg_dip__contacts keeps the latest version of each, and int_person_records_tracked reads
    the new loads' versions (see smw.staging_versions). -#}
with

{{ smw.staging_versions(
    'dip', 'dip_contacts', 'contact_id', event_date='contact_date'
) }},

typed as (

    select
        _record_key as contact_id,
        {{ normalise_la_code('cjit_code') }} as cjit_code,
        {{ parse_date('contact_date') }} as contact_date,
        {{ normalise_code('sex', 'sex') }} as sex,
        {{ normalise_code('ethnicity', 'ethnicity') }} as ethnicity,
        {{ normalise_la_code('client_la_code') }} as client_la_code,
        {{ normalise_code('route', 'dip_route') }} as route,
        {{ clean_text('transfer_from') }} as transfer_from,
        {{ normalise_code('assessed', 'yes_no') }} as assessed,
        {{ normalise_code('further_intervention_required', 'yes_no') }}
            as further_intervention_required,
        {{ normalise_code('taken_onto_caseload', 'yes_no') }} as taken_onto_caseload,
        {{ clean_text('transferred_to') }} as transferred_to,
        lower(replace({{ clean_text('drugs_used') }}, ' ', '')) as drugs_used,
        {{ normalise_code('main_drug_route', 'drug_route') }} as main_drug_route,
        {{ normalise_code('injecting_status', 'injecting_status') }} as injecting_status,
        {{ parse_whole_number('drinking_days_28') }} as drinking_days_28,
        {{ parse_whole_number('daily_units') }} as daily_units,
        {{ normalise_code('offence', 'offence') }} as offence,
        {{ normalise_code('offender_management', 'offender_management') }} as offender_management,
        {{ clean_text('contact_id') }} as contact_id_text,
        {{ clean_text('contact_date') }} as contact_date_text,
        {{ clean_text('drinking_days_28') }} as drinking_days_28_text,
        {{ clean_text('daily_units') }} as daily_units_text,
        {{ has_unknown_list_code('drugs_used', 'treatment_substance') }} as has_unknown_drugs_used,
        {{ smw.staging_record_columns(linked_to_people=true) }}

    from checked

)

select * from typed
