{#- Numerators and denominators of the DIP activity profile (domain: DIP contacts count in the
    area of the CJIT that recorded them; seed catalogue 3.4): shares of contacts by route,
    sex, age band (overall and within sex), ethnicity, residence, offence and offender
    management scheme (of all contacts); shares of those recorded for the main drug's route,
    injecting status, and drinking days and daily units within sex; drug mentions as a share of
    all mentions (multi-response: a contact naming two drugs is two mentions); contacts
    transferred out as a share of those not taken onto the caseload, and by destination. -#}
with

contacts as (

    select
        *,
        cjit_code as area_code
    from {{ ref('int_dip_contacts_profiled') }}

),

substances as (

    select code from {{ ref('code_lists') }}
    where code_list = 'treatment_substance'

),

drug_mentions as (

    {#- one row per contact per listed substance it names (a name repeated counts once) -#}
    select
        contacts.period,
        contacts.area_code,
        substances.code as drug
    from contacts
    inner join substances
        on ';' || contacts.drugs_used || ';' like '%;' || substances.code || ';%'
    where contacts.drugs_used is not null

),

transferred_out as (

    select * from contacts
    where is_transferred_out

),

counts as (

    {{ indicator_shares('contacts', 'dip_route_share', 'route_group', 'route_group') }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_route_share', 'route', 'route_detail', parent='route_group'
    ) }}
    union all
    {{ indicator_shares('contacts', 'dip_sex_share', 'sex', 'sex_group') }}
    union all
    {{ indicator_shares('contacts', 'dip_age_share', 'age_band', 'age_band') }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_age_share', 'sex_age_band', 'sex_age_band', parent='sex_group'
    ) }}
    union all
    {{ indicator_shares('contacts', 'dip_ethnicity_share', 'ethnicity_group', 'ethnicity_group') }}
    union all
    {{ indicator_shares('contacts', 'dip_residence_share', 'residence', 'residence') }}
    union all
    {{ indicator_shares('contacts', 'dip_offence_share', 'offence', 'offence') }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_offender_management_share', 'offender_management', 'offender_management'
    ) }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_drug_route_share', 'drug_route', 'main_drug_route',
        where='main_drug_route is not null'
    ) }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_injecting_share', 'injecting_status', 'injecting_status',
        where='injecting_status is not null'
    ) }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_drinking_days_share', 'sex_drinking_days', 'sex_drinking_days',
        parent='sex_group', where='sex_drinking_days is not null'
    ) }}
    union all
    {{ indicator_shares(
        'contacts', 'dip_daily_units_share', 'sex_daily_units', 'sex_daily_units',
        parent='sex_group', where='sex_daily_units is not null'
    ) }}
    union all
    {{ indicator_shares('drug_mentions', 'dip_drug_mention_share', 'drug', 'drug') }}
    union all
    {{ indicator_counts(
        'contacts', 'dip_transferred_out', 'all', "'all'",
        'sum(case when is_transferred_out then 1 else 0 end)',
        'sum(case when is_not_taken_on then 1 else 0 end)'
    ) }}
    union all
    {{ indicator_shares(
        'transferred_out', 'dip_transfer_destination_share', 'transfer_destination',
        'transfer_destination'
    ) }}

)

select * from counts
