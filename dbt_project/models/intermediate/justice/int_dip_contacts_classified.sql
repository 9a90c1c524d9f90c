{#- domain (Cohorts: DIP funnel), per contact: route group from the route code list (required
    assessment / other criminal justice routes / transfers completed / transfers not completed),
    then the funnel stages, each within the previous one so stages never grow:
    assessed -> further intervention required -> taken onto caseload; those not taken on are
    split by whether they were transferred to another CJIT or prison. -#}
with

contacts as (

    select * from {{ ref('int_dip_contacts_accumulated') }}
    where birth_month_problem is null  -- rejected: impossible date of birth (issue 22)

),

routes as (

    select code, category from {{ ref('code_lists') }}
    where code_list = 'dip_route'

),

classified as (

    select
        contacts.contact_id,
        contacts.person_id,
        contacts.cjit_code,
        contacts.contact_date,
        {{ financial_year('contacts.contact_date') }} as period,
        contacts.sex,
        contacts.ethnicity,
        contacts.client_la_code,
        contacts.route,
        coalesce(routes.category, 'unknown') as route_group,
        contacts.transfer_from,
        contacts.transferred_to,
        {{ transfer_destination_group('contacts.transferred_to') }} as transfer_destination,
        contacts.assessed = 'Y' as is_assessed,
        contacts.assessed = 'Y'
        and contacts.further_intervention_required = 'Y' as is_further_required,
        contacts.assessed = 'Y'
        and contacts.further_intervention_required = 'Y'
        and contacts.taken_onto_caseload = 'Y' as is_taken_onto_caseload,
        contacts.drugs_used,
        contacts.main_drug_route,
        contacts.injecting_status,
        contacts.drinking_days_28,
        contacts.daily_units,
        contacts.offence,
        contacts.offender_management,
        {{ age_at('contacts.birth_month', 'contacts.contact_date') }} as age_at_contact
    from contacts
    left join routes
        on contacts.route = routes.code
    where contacts.contact_date is not null

)

select
    *,
    is_further_required and not is_taken_onto_caseload as is_not_taken_on,
    is_further_required
    and not is_taken_onto_caseload
    and transferred_to is not null as is_transferred_out,
    {{ age_band_dip('age_at_contact') }} as age_band,
    {#- domain (PDU / OCU): opiates and/or crack among the drugs used -#}
    (
        ';' || coalesce(drugs_used, '') || ';' like '%;heroin;%'
        or ';' || coalesce(drugs_used, '') || ';' like '%;methadone;%'
        or ';' || coalesce(drugs_used, '') || ';' like '%;other_opiates;%'
        or ';' || coalesce(drugs_used, '') || ';' like '%;crack;%'
    ) as reports_ocu_use
from classified
