{#- Every version of every Treatment Outcomes Profile review as sent (raw keeps every row),
    typed row by row: stg_ndtms__top_reviews keeps the latest version of each, and
    int_ndtms_top_reviews_accumulated reads the new loads' versions. -#}
with

{{ smw.staging_keyed('ndtms', 'ndtms_top', 'top_id') }},

typed as (

    select
        _record_key as top_id,
        {{ clean_text('episode_id') }} as episode_id,
        {{ parse_date('review_date') }} as review_date,
        {{ normalise_code('stage', 'top_stage') }} as stage,
        {{ parse_whole_number('days_opiates') }} as days_opiates,
        {{ parse_whole_number('days_crack') }} as days_crack,
        {{ parse_whole_number('days_cocaine') }} as days_cocaine,
        {{ parse_whole_number('days_amphetamine') }} as days_amphetamine,
        {{ parse_whole_number('days_cannabis') }} as days_cannabis,
        {{ parse_whole_number('days_alcohol') }} as days_alcohol,
        {{ normalise_code('injected_last_28', 'yes_no') }} as injected_last_28,
        {{ normalise_code('housing', 'top_housing') }} as housing,
        {{ parse_whole_number('days_paid_work') }} as days_paid_work,
        {{ clean_text('top_id') }} as top_id_text,
        {{ clean_text('review_date') }} as review_date_text,
        {{ clean_text('days_opiates') }} as days_opiates_text,
        {{ clean_text('days_crack') }} as days_crack_text,
        {{ clean_text('days_cocaine') }} as days_cocaine_text,
        {{ clean_text('days_amphetamine') }} as days_amphetamine_text,
        {{ clean_text('days_cannabis') }} as days_cannabis_text,
        {{ clean_text('days_alcohol') }} as days_alcohol_text,
        {{ clean_text('days_paid_work') }} as days_paid_work_text,
        {{ smw.staging_record_columns() }}

    from keyed

)

select * from typed
