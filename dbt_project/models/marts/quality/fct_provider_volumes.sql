{#- Volume checks (issue: a provider that goes silent or triples is flagged): records per
    source, provider and month against the provider's own recent history, the average of its
    previous six months (months with no records count as 0). Providers as in
    smw.quality_sources(); every month from a provider's first month to the latest month of the
    data is present, so a provider that stops sending shows as months of 0 records. The source
    as a whole is one more 'provider', '(all providers)'. Reference extracts have no months and
    are not checked here. -#}
{%- set sources = smw.quality_sources() -%}
{%- set event_sources = [] -%}
{%- for model_name, config in sources.items() if config.event_date is defined -%}
{%- do event_sources.append((model_name, config)) -%}
{%- endfor -%}
{%- set min_baseline = var('quality_volume_min_baseline', 10) -%}
{%- set ratio = var('quality_volume_ratio', 3) -%}

with

{% for model_name, config in event_sources %}
{{ config.source_name }}_records as (

    {{ smw.quality_records(model_name, with_checks=false) | indent(4) }}

),

{% endfor -%}

agencies as (

    select * from {{ ref('stg_ims__agencies') }}

),

monthly as (

    {% for model_name, config in event_sources -%}
    select
        source_name,
        provider_id,
        provider_type,
        month_start,
        count(*) as records
    from {{ config.source_name }}_records
    where month_start <= {{ smw.today() }}
    group by source_name, provider_id, provider_type, month_start
    {%- if not loop.last %}

    union all

    {% endif -%}
    {%- endfor %}

),

data_months as (

    select distinct month_start from monthly

),

latest as (

    select max(month_start) as latest_month_start from data_months

),

providers as (

    select
        source_name,
        provider_id,
        provider_type,
        min(month_start) as first_month_start
    from monthly
    group by source_name, provider_id, provider_type

),

provider_months as (

    select
        providers.source_name,
        providers.provider_id,
        providers.provider_type,
        'provider' as volume_level,
        data_months.month_start,
        coalesce(monthly.records, 0) as records
    from providers
    inner join data_months
        on providers.first_month_start <= data_months.month_start
    left join monthly
        on
            providers.source_name = monthly.source_name
            and providers.provider_id = monthly.provider_id
            and data_months.month_start = monthly.month_start

),

source_months as (

    select
        source_name,
        '(all providers)' as provider_id,
        'source' as provider_type,
        'source' as volume_level,
        month_start,
        sum(records) as records
    from provider_months
    group by source_name, month_start

),

all_months as (

    select * from provider_months
    union all
    select * from source_months

),

with_history as (

    select
        all_months.*,
        avg({{ smw.as_double('records') }}) over recent_history as baseline_records,
        count(*) over recent_history as history_months
    from all_months
    window recent_history as (
        partition by source_name, provider_id
        order by month_start
        rows between 6 preceding and 1 preceding
    )

),

checked as (

    select
        with_history.*,
        coalesce(
            with_history.provider_type = 'agency'
            and agencies.closed_date < with_history.month_start,
            false
        ) as is_closed
    from with_history
    left join agencies
        on
            with_history.provider_type = 'agency'
            and with_history.provider_id = agencies.agency_code

),

final as (

    select
        {{ dbt.concat([
            'checked.source_name', "'|'", 'checked.provider_id', "'|'",
            dbt.cast('checked.month_start', api.Column.translate_type('string')),
        ]) }} as provider_volume_id,
        checked.source_name,
        checked.provider_id,
        checked.provider_type,
        checked.volume_level,
        checked.month_start,
        checked.month_start = latest.latest_month_start as is_latest_month,
        checked.records,
        checked.baseline_records,
        checked.history_months,
        checked.records / nullif(checked.baseline_records, 0) as ratio_to_baseline,
        checked.is_closed,
        {#- Bounds: silent (none) or below a third of the recent average is 'low'; more than
            three times it is a 'surge'. Small providers (an average under 10 records a month)
            vary too much by chance to judge. -#}
        case
            when checked.history_months = 0 then 'first_seen'
            when checked.is_closed and checked.records = 0 then 'closed'
            when checked.baseline_records < {{ min_baseline }} then 'not_assessed'
            when checked.records = 0 then 'silent'
            when checked.records < checked.baseline_records / {{ ratio }} then 'low'
            when checked.records > checked.baseline_records * {{ ratio }} then 'surge'
            else 'within_bounds'
        end as volume_status
    from checked
    cross join latest

)

select * from final
