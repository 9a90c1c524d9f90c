{#- The current version of every DIP contact, typed once (see accumulated_latest_records). -#}
{{ accumulated_latest_records('base_dip__contacts', 'contact_id') }}
