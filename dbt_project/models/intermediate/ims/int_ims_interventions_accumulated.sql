{#- The current version of every IMS brief intervention, typed once (see
    accumulated_latest_records). -#}
{{ accumulated_latest_records('base_ims__interventions', 'intervention_id') }}
