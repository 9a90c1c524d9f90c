with

source as (

    select * from {{ source('mdt', 'mdt_results') }}

),

keyed as (

    select
        *,
        coalesce(
            {{ clean_text('test_id') }},
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

    {{ smw.birth_month_checked('latest', 'test_date') }}

),

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
