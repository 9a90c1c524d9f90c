{#- extract spec: row-level problems never drop rows; each is recorded here with its source,
    file, record number, field, value class and kind, never the value itself. Built from the
    staging models, so it reports the latest version of each record: a record re-sent with a
    correction in a later file no longer shows the earlier version's problems.
    Incremental (smw.row_problems_kept): the person-level sources (NSP transactions,
    interventions, treatment episodes, DIP contacts, drug tests), read from their accumulated
    tables, are checked for the records of new loads only; every other source (agencies, TOP
    reviews, reference data) is checked whole on every build (the TOP reviews from their
    accumulated table: their episode check reads every episode and every review). -#}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ smw.delete_row_problems_to_recheck() }}",
) }}
{%- set since = smw.incremental_marker_since() -%}
{%- set kept = smw.row_problems_kept() -%}
{%- set staged = [
    'stg_ims__agencies',
    'stg_ims__nsp_transactions',
    'stg_ims__interventions',
    'stg_ndtms__episodes',
    'stg_ndtms__top_reviews',
    'stg_dip__contacts',
    'stg_mdt__drug_tests',
    'stg_reference__prevalence_estimates',
    'stg_reference__populations',
    'stg_reference__national_benchmarks',
] -%}

with

{% for model_name in staged %}
{{ model_name | replace('stg_', '') }} as (

    {{ smw.row_problem_candidates(
        model_name,
        where=('records._load_id > ' ~ since) if since is not none and model_name in kept
    ) | indent(4) }}

),

{% endfor %}
top_episodes as (

    {#- domain (TOP outcomes): a TOP must belong to an episode sent in the episodes extract and
        cannot be dated before that episode's referral (a review before its start) -#}
    select
        'ndtms_top' as source_name,
        tops._load_id as load_id,
        tops._file_name as file_name,
        tops._row_number as record_number,
        tops.top_id as record_key,
        case when episodes.episode_id is null then 'episode_id' else 'review_date' end
            as field_name,
        case when episodes.episode_id is null then 'unknown_episode' else 'before_referral' end
            as value_class,
        case
            when
                episodes.episode_id is null
                then 'must be an episode sent in the episodes extract (ndtms_episodes)'
            else 'date, not before the referral_date of its episode'
        end as rule
    from {{ ref('int_ndtms_top_reviews_accumulated') }} as tops
    left join {{ ref('int_ndtms_episodes_accumulated') }} as episodes
        on tops.episode_id = episodes.episode_id
    where
        tops.episode_id is not null
        and (episodes.episode_id is null or tops.review_date < episodes.referral_date)

),

candidates as (

    {% for model_name in staged -%}
    select * from {{ model_name | replace('stg_', '') }}
    union all
    {% endfor -%}
    select * from top_episodes

),

problems as (

    select
        {{ dbt.concat([
            'source_name', "':'",
            dbt.cast('load_id', api.Column.translate_type('string')), "':'",
            dbt.cast('record_number', api.Column.translate_type('string')), "':'",
            'field_name',
        ]) }} as problem_id,
        source_name,
        file_name,
        record_number,
        load_id,
        record_key,
        field_name,
        value_class,
        {{ smw.row_problem_kind('value_class') }} as problem_kind,
        rule,
        {{ dbt.concat([
            'source_name', "'/'", 'file_name',
            "', record '", dbt.cast('record_number', api.Column.translate_type('string')),
            "', field '", 'field_name', "': '", 'value_class',
            "' (rule: '", 'rule', "')'",
        ]) }} as message,
        {{ smw.row_problems_through_load() }} as _through_load_id
    from candidates
    where value_class is not null

)

select * from problems
