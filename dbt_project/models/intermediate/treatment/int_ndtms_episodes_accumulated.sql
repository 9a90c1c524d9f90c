{#- The current version of every treatment episode, typed once (see
    accumulated_latest_records): the models that read every episode do not re-parse and rank
    every version landed. -#}
{{ accumulated_latest_records('base_ndtms__episodes', 'episode_id') }}
