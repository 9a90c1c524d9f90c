{#- Data-quality scorecard (issue: data quality a data-quality lead can act on): per provider,
    source, month, field and rule, the records checked and failing. Row-level rules of the
    extract specification come from fct_row_problems; completeness of key optional fields and
    references to unknown agencies, episodes and areas are checked here (smw.quality_sources()).
    Records checked = the provider's records in that source and month (every record carries
    every field of its source). A (provider, source, field, rule) appears for every month the
    provider sent records once it has failed at least once, so improvements show as zeros. -#}
{%- set sources = smw.quality_sources() -%}
{%- set notes = smw.quality_fix_notes() -%}

with

row_problems as (

    select * from {{ ref('fct_row_problems') }}

),

{% for model_name, config in sources.items() %}
{{ config.source_name }}_records as (

    {{ smw.quality_records(model_name) | indent(4) }}

),

{% endfor -%}

checked as (

    {% for model_name, config in sources.items() -%}
    select
        source_name,
        provider_id,
        provider_type,
        month_start,
        count(*) as records_checked
    from {{ config.source_name }}_records
    group by source_name, provider_id, provider_type, month_start
    {%- if not loop.last %}

    union all

    {% endif -%}
    {%- endfor %}

),

findings as (

    {% for model_name, config in sources.items() -%}
    {%- for check in smw.quality_record_checks(model_name) %}
    select
        source_name,
        provider_id,
        month_start,
        record_key,
        '{{ check.field }}' as field_name,
        '{{ check.kind }}' as rule_kind,
        '{{ check.rule }}' as rule
    from {{ config.source_name }}_records
    where {{ check.field }}__{{ check.kind }}

    union all
    {% endfor %}
    select
        records.source_name,
        records.provider_id,
        records.month_start,
        records.record_key,
        row_problems.field_name,
        row_problems.problem_kind as rule_kind,
        row_problems.rule
    from row_problems
    inner join {{ config.source_name }}_records as records
        on row_problems.record_key = records.record_key
    where row_problems.source_name = '{{ config.source_name }}'
    {%- if not loop.last %}

    union all

    {% endif -%}
    {%- endfor %}

),

failing as (

    select
        source_name,
        provider_id,
        month_start,
        field_name,
        rule_kind,
        max(rule) as rule,
        count(distinct record_key) as records_failing,
        {{ dbt.listagg('record_key', "'; '", 'order by record_key', 5) }} as example_record_keys
    from findings
    group by source_name, provider_id, month_start, field_name, rule_kind

),

rules_failed as (

    select
        source_name,
        provider_id,
        field_name,
        rule_kind,
        max(rule) as rule
    from failing
    group by source_name, provider_id, field_name, rule_kind

),

provider_months as (

    select
        *,
        month_start = max(month_start) over (
            partition by source_name, provider_id
        ) as is_latest_month
    from checked

),

scored as (

    select
        provider_months.source_name,
        provider_months.provider_id,
        provider_months.provider_type,
        provider_months.month_start,
        provider_months.is_latest_month,
        rules_failed.field_name,
        rules_failed.rule_kind,
        rules_failed.rule,
        provider_months.records_checked,
        coalesce(failing.records_failing, 0) as records_failing,
        failing.example_record_keys
    from rules_failed
    inner join provider_months
        on
            rules_failed.source_name = provider_months.source_name
            and rules_failed.provider_id = provider_months.provider_id
    left join failing
        on
            rules_failed.source_name = failing.source_name
            and rules_failed.provider_id = failing.provider_id
            and rules_failed.field_name = failing.field_name
            and rules_failed.rule_kind = failing.rule_kind
            and provider_months.month_start = failing.month_start

),

with_share as (

    select
        *,
        {{ smw.as_double('records_failing') }} / records_checked as failing_share
    from scored

),

trended as (

    select
        *,
        lag(month_start) over scorecard_series as previous_month_start,
        lag(failing_share) over scorecard_series as previous_failing_share,
        {{ smw.as_double('sum(records_failing) over rolling_3_months') }}
        / sum(records_checked) over rolling_3_months as rolling_3m_failing_share
    from with_share
    window
        scorecard_series as (
            partition by source_name, provider_id, field_name, rule_kind
            order by month_start
        ),
        rolling_3_months as (
            partition by source_name, provider_id, field_name, rule_kind
            order by month_start
            rows between 2 preceding and current row
        )

),

final as (

    select
        {{ dbt.concat([
            'source_name', "'|'", 'provider_id', "'|'",
            dbt.cast('month_start', api.Column.translate_type('string')), "'|'",
            'field_name', "'|'", 'rule_kind',
        ]) }} as scorecard_id,
        provider_id,
        provider_type,
        source_name,
        month_start,
        is_latest_month,
        field_name,
        rule_kind,
        rule,
        records_checked,
        records_failing,
        failing_share,
        previous_month_start,
        previous_failing_share,
        failing_share - previous_failing_share as failing_share_change,
        rolling_3m_failing_share,
        {#- A change of less than half a percentage point (or none at all) is 'same'. -#}
        case
            when previous_failing_share is null then 'new'
            when failing_share < previous_failing_share - 0.005 then 'better'
            when failing_share > previous_failing_share + 0.005 then 'worse'
            else 'same'
        end as trend,
        example_record_keys,
        case
            {%- for model_name, config in sources.items() %}
            {%- for field, note in config.get('key_optional', {}).items() %}
            when
                rule_kind = 'not_recorded'
                and source_name = '{{ config.source_name }}'
                and field_name = '{{ field }}'
                then
                    '{{ dbt.escape_single_quotes(
                        (notes.not_recorded | trim) ~ ' ' ~ (note | trim)
                    ) }}'
            {%- endfor %}
            {%- endfor %}
            {%- for kind, note in notes.items() %}
            when rule_kind = '{{ kind }}' then '{{ dbt.escape_single_quotes(note | trim) }}'
            {%- endfor %}
        end as what_to_fix
    from trended

)

select * from final
