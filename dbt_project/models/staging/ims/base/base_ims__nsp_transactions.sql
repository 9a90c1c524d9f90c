{#- Every version of every NSP transaction as sent (raw keeps every row), typed row by row:
    stg_ims__nsp_transactions keeps the latest version of each, and the accumulated model reads
    the loads it has not seen from here (see smw.staging_versions). -#}
with

{{ smw.staging_versions(
    'ims', 'ims_nsp_transactions', 'transaction_id', event_date='transaction_date'
) }},

typed as (

    select
        _record_key as transaction_id,
        {{ clean_text('agency_code') }} as agency_code,
        {{ parse_date('transaction_date') }} as transaction_date,
        {{ normalise_code('sex', 'sex') }} as sex,
        {{ normalise_la_code('client_la_code') }} as client_la_code,
        {{ normalise_code('substance_injected', 'ims_injected_substance') }} as substance_injected,
        {{ parse_whole_number('needles_issued') }} as needles_issued,
        {{ parse_whole_number('syringes_issued') }} as syringes_issued,
        {{ normalise_code('sharps_returned', 'yes_no') }} as sharps_returned,
        {{ normalise_code('first_visit', 'yes_no') }} as first_visit,
        {{ clean_text('transaction_id') }} as transaction_id_text,
        {{ clean_text('transaction_date') }} as transaction_date_text,
        {{ clean_text('needles_issued') }} as needles_issued_text,
        {{ clean_text('syringes_issued') }} as syringes_issued_text,
        {{ smw.staging_record_columns(linked_to_people=true) }}

    from checked

)

select * from typed
