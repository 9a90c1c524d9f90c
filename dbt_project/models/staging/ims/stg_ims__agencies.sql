with

source as (

    select * from {{ source('ims', 'ims_agencies') }}

),

keyed as (

    select
        *,
        coalesce(
            {{ clean_text('agency_code') }},
            'missing:' || cast(_load_id as {{ dbt.type_string() }})
            || ':' || cast(_row_number as {{ dbt.type_string() }})
        ) as _record_key
    from source

),

latest as (

    {{ latest_record('keyed', ['_record_key']) }}

),

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
        _load_id,
        _file_name,
        _row_number,
        _extra is not null as has_extra_columns

    from latest

)

select * from typed
