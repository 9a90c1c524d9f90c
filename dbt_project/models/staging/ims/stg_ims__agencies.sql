with

{{ smw.staging_latest_records(
    'ims', 'ims_agencies', 'agency_code'
) }},

typed as (

    select
        _record_key as agency_code,
        {{ clean_text('agency_name') }} as agency_name,
        {{ normalise_code('agency_type', 'agency_type') }} as agency_type,
        {{ normalise_la_code('la_code') }} as la_code,
        {{ parse_date('opened_date') }} as opened_date,
        {{ parse_date('closed_date') }} as closed_date,
        {{ clean_text('agency_code') }} as agency_code_text,
        {{ clean_text('opened_date') }} as opened_date_text,
        {{ clean_text('closed_date') }} as closed_date_text,
        {{ smw.staging_record_columns() }}

    from latest

)

select * from typed
