with

source as (

    select * from {{ source('reference', 'prevalence_estimates') }}

),

keyed as (

    select
        *,
        coalesce(lower(trim(la_code)), '')
        || '|' || coalesce(lower(trim(period)), '')
        || '|' || coalesce(lower(trim(drug_group)), '')
        || '|' || coalesce(lower(trim(age_band)), '') as _record_key
    from source

),

latest as (

    {{ latest_record('keyed', ['_record_key']) }}

),

typed as (

    select
        _record_key as prevalence_estimate_id,
        {{ normalise_la_code('la_code') }} as la_code,
        {{ clean_text('period') }} as period,
        {{ normalise_code('drug_group', 'prevalence_drug_group') }} as drug_group,
        {{ normalise_code('age_band', 'prevalence_age_band') }} as age_band,
        {{ parse_decimal_number('estimate') }} as estimate,
        {{ parse_decimal_number('lower_95') }} as lower_95,
        {{ parse_decimal_number('upper_95') }} as upper_95,
        {{ clean_text('estimate') }} as estimate_text,
        {{ clean_text('lower_95') }} as lower_95_text,
        {{ clean_text('upper_95') }} as upper_95_text,
        _load_id,
        _file_name,
        _row_number,
        _extra is not null as has_extra_columns

    from latest

)

select * from typed
