with

source as (

    select * from {{ source('reference', 'population') }}

),

keyed as (

    select
        *,
        coalesce(lower(trim(la_code)), '')
        || '|' || coalesce(lower(trim(year)), '')
        || '|' || coalesce(lower(trim(sex)), '')
        || '|' || coalesce(lower(trim(age_band)), '') as _record_key
    from source

),

latest as (

    {{ latest_record('keyed', ['_record_key']) }}

),

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
        _load_id,
        _file_name,
        _row_number,
        _extra is not null as has_extra_columns

    from latest

)

select * from typed
