with

{{ smw.staging_latest_records(
    'reference', 'prevalence_estimates', ['la_code', 'period', 'drug_group', 'age_band']
) }},

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
        {{ smw.staging_record_columns() }}

    from latest

)

select * from typed
