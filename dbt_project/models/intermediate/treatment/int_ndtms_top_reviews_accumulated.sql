{#- The current version of every Treatment Outcomes Profile review, typed once (see
    accumulated_latest_records). -#}
{{ accumulated_latest_records('base_ndtms__top_reviews', 'top_id') }}
