with

{{ smw.staging_latest_records(
    'reference', 'national_benchmarks', ['indicator_code', 'period', 'breakdown']
) }},

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
        {{ smw.staging_record_columns() }}

    from latest

)

select * from typed
