{#- The current version of every NSP transaction, typed once (see accumulated_latest_records):
    the models that read every transaction do not re-parse years of history. -#}
{{ accumulated_latest_records('base_ims__nsp_transactions', 'transaction_id') }}
