{#- Every version of every drug test as sent (raw keeps every row), typed row by row:
    stg_mdt__drug_tests keeps the latest version of each, and int_person_records_tracked reads
    the new loads' versions (see smw.staging_versions). -#}
with

{{ smw.staging_versions(
    'mdt', 'mdt_results', 'test_id', event_date='test_date'
) }},

typed as (

    select
        _record_key as test_id,
        {{ parse_date('test_date') }} as test_date,
        {{ clean_text('custody_suite') }} as custody_suite,
        {{ normalise_la_code('custody_la_code') }} as custody_la_code,
        {{ normalise_code('sex', 'sex') }} as sex,
        {{ normalise_code('opiates', 'test_result') }} as opiates,
        {{ normalise_code('cocaine', 'test_result') }} as cocaine,
        {{ clean_text('test_id') }} as test_id_text,
        {{ clean_text('test_date') }} as test_date_text,
        {{ smw.staging_record_columns(linked_to_people=true) }}

    from checked

)

select * from typed
