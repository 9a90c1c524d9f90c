{#- domain (Time; Periods beyond the financial year): every period an indicator can be published
    for. Financial years (period_type year, '2020-21'; a year the data do not cover to its end
    is published as year to date, period_type ytd, under the same label: see
    fct_indicator_values), their quarters (quarter, '2020-21 Q3' = October to December 2020) and
    the rolling twelve months ending each quarter (rolling_12m, '12m to 2020-12' = January to
    December 2020; the one ending in March is the financial year itself).
    previous_period is the period a change is measured against: the previous year, the previous
    quarter, the rolling twelve months ending a quarter earlier. -#}
with

financial_years as (

    select * from {{ ref('int_financial_years_generated') }}

),

quarters as (

    select 1 as quarter_number, '06' as end_month, 0 as end_year_offset
    union all
    select 2 as quarter_number, '09' as end_month, 0 as end_year_offset
    union all
    select 3 as quarter_number, '12' as end_month, 0 as end_year_offset
    union all
    select 4 as quarter_number, '03' as end_month, 1 as end_year_offset

),

quarter_windows as (

    select
        financial_years.period as financial_year,
        financial_years.start_year,
        quarters.quarter_number,
        quarters.end_month,
        financial_years.start_year + quarters.end_year_offset as end_year,
        {{ dbt.dateadd(
            'month', '3 * (quarters.quarter_number - 1)', 'financial_years.start_date'
        ) }} as quarter_start_date,
        {{ dbt.dateadd(
            'day', -1,
            dbt.dateadd('month', '3 * quarters.quarter_number', 'financial_years.start_date')
        ) }}
            as quarter_end_date
    from financial_years
    cross join quarters

),

labelled as (

    select
        financial_year,
        start_year,
        quarter_number,
        financial_year || ' Q' || cast(quarter_number as {{ dbt.type_string() }}) as quarter_period,
        '12m to '
        || cast(end_year as {{ dbt.type_string() }})
        || '-'
        || end_month as rolling_period,
        cast(quarter_start_date as date) as quarter_start_date,
        cast(quarter_end_date as date) as quarter_end_date
    from quarter_windows

),

periods as (

    select
        period,
        'year' as period_type,
        period as financial_year,
        start_year,
        0 as quarter_number,
        start_date,
        end_date,
        previous_period
    from financial_years

    union all

    select
        quarter_period as period,
        'quarter' as period_type,
        financial_year,
        start_year,
        quarter_number,
        quarter_start_date as start_date,
        quarter_end_date as end_date,
        case
            when quarter_number = 1 then {{ smw.financial_year_label('start_year - 1') }} || ' Q4'
            else financial_year || ' Q' || cast(quarter_number - 1 as {{ dbt.type_string() }})
        end as previous_period
    from labelled

    union all

    select
        rolling_period as period,
        'rolling_12m' as period_type,
        financial_year,
        start_year,
        quarter_number,
        cast(
            {{ dbt.dateadd('day', 1, dbt.dateadd('month', -12, 'quarter_end_date')) }} as date
        ) as start_date,
        quarter_end_date as end_date,
        '12m to ' || cast(
            cast(
                extract(year from {{ dbt.dateadd('month', -3, 'quarter_end_date') }}) as integer
            ) as {{ dbt.type_string() }}
        )
        || '-'
        || case quarter_number when 1 then '03' when 2 then '06' when 3 then '09' else '12' end
            as previous_period
    from labelled

)

select
    period,
    period_type,
    financial_year,
    start_year,
    quarter_number,
    start_date,
    end_date,
    previous_period
from periods
