with

source as (

    select * from {{ source('ims', 'ims_nsp_transactions') }}

),

keyed as (

    select
        *,
        coalesce(
            {{ clean_text('transaction_id') }},
            'missing:' || cast(_load_id as {{ dbt.type_string() }})
            || ':' || cast(_row_number as {{ dbt.type_string() }})
        ) as _record_key
    from source

),

latest as (

    {{ latest_record('keyed', ['_record_key']) }}

),

{# issue 22: a record whose date of birth cannot be true is rejected (smw.birth_month_checked). -#}
checked as (

    {{ smw.birth_month_checked('latest', 'transaction_date') }}

),

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
        case when birth_month_problem is null then person_id end as person_id,
        birth_month_problem,
        birth_month,
        attributor_status,
        attributor_status = 'complete' as has_complete_attributor,
        _load_id,
        _file_name,
        _row_number,
        _extra is not null as has_extra_columns

    from checked

)

select * from typed
