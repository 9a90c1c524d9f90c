{#- domain (Indicators: nsp_clients, nsp_visits, nsp_needles; Area of a record): NSP activity
    counts in the local authority of the agency that recorded the visit. -#}
with

transactions as (

    select * from {{ ref('int_nsp_transactions_accumulated') }}
    where birth_month_problem is null  -- rejected: impossible date of birth (issue 22)

),

agencies as (

    select * from {{ ref('stg_ims__agencies') }}

),

located as (

    select
        transactions.transaction_id,
        transactions.person_id,
        transactions.needles_issued,
        coalesce(agencies.la_code, 'unknown') as area_code,
        {{ financial_year('transactions.transaction_date') }} as period
    from transactions
    left join agencies
        on transactions.agency_code = agencies.agency_code
    where transactions.transaction_date is not null

),

aggregated as (

    select
        area_code,
        period,
        count(distinct person_id) as clients,
        count(*) as visits,
        coalesce(sum(case when needles_issued > 0 then needles_issued else 0 end), 0) as needles,
        count(*) - count(person_id) as visits_unlinked
    from located
    group by area_code, period

)

select
    area_code || '|' || period as area_period_id,
    area_code,
    period,
    clients,
    visits,
    needles,
    visits_unlinked
from aggregated
