with

{{ smw.staging_latest_records(
    'reference', 'population', ['la_code', 'year', 'sex', 'age_band']
) }},

typed as (

    select
        _record_key as population_id,
        {{ normalise_la_code('la_code') }} as la_code,
        {{ parse_whole_number('year') }} as year,
        {{ normalise_code('sex', 'population_sex') }} as sex,
        {{ normalise_code('age_band', 'population_age_band') }} as age_band,
        {{ parse_whole_number('population') }} as population,
        {{ clean_text('year') }} as year_text,
        {{ clean_text('population') }} as population_text,
        {{ smw.staging_record_columns() }}

    from latest

)

select * from typed
