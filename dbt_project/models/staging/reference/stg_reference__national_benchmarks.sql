with

source as (

    select * from {{ source('reference', 'national_benchmarks') }}

),

keyed as (

    select
        *,
        coalesce(lower(trim(indicator_code)), '')
        || '|' || coalesce(lower(trim(period)), '')
        || '|' || coalesce(lower(trim(breakdown)), '') as _record_key
    from source

),

latest as (

    {{ latest_record('keyed', ['_record_key']) }}

),

typed as (

    select
        _record_key as national_benchmark_id,
        {{ clean_text('indicator_code') }} as indicator_code,
        {{ clean_text('period') }} as period,
        {{ clean_text('breakdown') }} as breakdown,
        {{ parse_decimal_number('numerator') }} as numerator,
        {{ parse_decimal_number('denominator') }} as denominator,
        {{ clean_text('numerator') }} as numerator_text,
        {{ clean_text('denominator') }} as denominator_text,
        _load_id,
        _file_name,
        _row_number,
        _extra is not null as has_extra_columns

    from latest

)

select * from typed
