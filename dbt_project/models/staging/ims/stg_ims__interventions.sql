with

source as (

    select * from {{ source('ims', 'ims_interventions') }}

),

keyed as (

    select
        *,
        coalesce(
            {{ clean_text('intervention_id') }},
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

    {{ smw.birth_month_checked('latest', 'intervention_date') }}

),

typed as (

    select
        _record_key as intervention_id,
        {{ clean_text('agency_code') }} as agency_code,
        {{ parse_date('intervention_date') }} as intervention_date,
        {{ normalise_code('sex', 'sex') }} as sex,
        {{ normalise_la_code('client_la_code') }} as client_la_code,
        {{ normalise_code('intervention_category', 'intervention_category') }}
            as intervention_category,
        {{ normalise_code('main_substance', 'ims_substance') }} as main_substance,
        {{ normalise_code('second_substance', 'ims_substance') }} as second_substance,
        {{ clean_text('intervention_id') }} as intervention_id_text,
        {{ clean_text('intervention_date') }} as intervention_date_text,
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
