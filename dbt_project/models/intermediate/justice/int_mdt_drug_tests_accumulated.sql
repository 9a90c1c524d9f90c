{#- The current version of every custody drug test, typed once (see
    accumulated_latest_records). -#}
{{ accumulated_latest_records('base_mdt__drug_tests', 'test_id') }}
