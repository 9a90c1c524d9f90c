with

financial_years as (

    select * from {{ ref('int_financial_years_generated') }}

)

select
    period,
    start_year,
    start_date,
    end_date,
    midpoint_date,
    previous_period
from financial_years
