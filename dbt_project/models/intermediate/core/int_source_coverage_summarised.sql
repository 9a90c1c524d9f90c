{#- Which financial years each source covers, so indicators are published only for years the
    extracts actually cover. A year is covered from the first year whose volume reaches 10% of
    the source's busiest year, so a stray date (a typo, a planted defect) does not stretch the
    coverage back. Treatment extracts also carry the open caseload (episodes referred years
    before the extracts start but still open), so treatment volume counts valid discharges
    (discharge on or after referral): an episode extract reports exits from its start on. The
    records of an area whose extracts begin before the others' (int_source_coverage_own_years:
    Salford's own years, Leicestershire's history) are left out: that area has its own years.
    data_as_of_date is the latest date a source reports, for follow-up windows; the last year is
    covered only once the data reach its end (no part-years). -#}
with

own_years as (

    {#- areas published for years of their own: their records do not stretch the source's -#}
    select source, area_code from {{ ref('int_source_coverage_own_years') }}

),

events as (

    {#- person-level records carry their area, so an area with years of its own is left out -#}
    select source, event_date
    from (
        select
            'nsp' as source,
            transaction_date as event_date,
            cast(null as {{ dbt.type_string() }}) as area_code
        from {{ ref('int_nsp_transactions_accumulated') }}
        union all
        select
            'intervention' as source,
            intervention_date as event_date,
            cast(null as {{ dbt.type_string() }}) as area_code
        from {{ ref('int_ims_interventions_accumulated') }}
        union all
        select source, event_date, area_code
        from ({{ smw.person_records_by_area() }}) as person_records
    ) as records
    where
        not exists (
            select 1 from own_years
            where own_years.source = records.source and own_years.area_code = records.area_code
        )

),

latest as (

    {#- the latest date reported, including referrals (treatment) -#}
    select source, max(event_date) as data_as_of_date
    from (
        select source, event_date from events
        union all
        select 'treatment' as source, referral_date as event_date
        from {{ ref('int_ndtms_episodes_accumulated') }}
    ) as all_dates
    where event_date is not null
    group by source

),

periods as (

    select * from {{ ref('int_financial_years_generated') }}

),

{{ smw.coverage_years_ctes() }}

select
    covered.source,
    covered.first_period,
    covered.last_period,
    latest.data_as_of_date
from covered
inner join latest
    on covered.source = latest.source
