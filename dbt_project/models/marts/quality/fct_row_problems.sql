{#- extract spec: row-level problems never drop rows; each is recorded here with its source,
    file, record number, field, value class and kind, never the value itself. Built from the
    staging models, so it reports the latest version of each record: a record re-sent with a
    correction in a later file no longer shows the earlier version's problems. -#}
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

    {{ smw.row_problem_candidates(model_name) | indent(4) }}

),

{% endfor %}
candidates as (

    {% for model_name in staged -%}
    select * from {{ model_name | replace('stg_', '') }}
    {%- if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}

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
        ]) }} as message
    from candidates
    where value_class is not null

)

select * from problems
