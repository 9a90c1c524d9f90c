{#- The rules of the extract specification that each staging column is checked against, for
    marts.fct_row_problems. One entry per staging model: the source it stages, its record key, its
    event date (for "birth month after the event"), whether it carries an attributor, and a check
    per column (see macros/quality/row_problems.sql for what each check reports).

    The specification's types, required flags, code lists and ranges come from
    orchestration/lib/spec.py; tests/unit/test_landing_problem_rules.py keeps this list in step
    with it. Rules the specification states in words are added here: triage, first intervention
    and discharge dates not before referral; discharge_reason required with discharge_date; event
    dates not in the future; prevalence periods written YYYY-YY. It is YAML (read with fromyaml)
    so that the test can read it too. -#}
{% macro staging_checks() -%}
{%- set checks_yaml -%}
stg_dip__contacts:
  source_name: dip_contacts
  record_key: contact_id
  event_date: contact_date
  person_level: true
  columns:
    contact_id: {check: key, required: true}
    cjit_code: {check: code, required: true, code_list: la_code}
    contact_date: {check: date, required: true, not_in_future: true}
    sex: {check: attributor}
    ethnicity: {check: code, required: false, code_list: ethnicity}
    client_la_code: {check: code, required: false, code_list: la_code}
    route: {check: code, required: true, code_list: dip_route}
    transfer_from: {check: text, required: false}
    assessed: {check: code, required: true, code_list: yes_no}
    further_intervention_required: {check: code, required: false, code_list: yes_no}
    taken_onto_caseload: {check: code, required: false, code_list: yes_no}
    transferred_to: {check: text, required: false}
    drugs_used: {check: code_items, code_list: treatment_substance, flag: has_unknown_drugs_used}
    main_drug_route: {check: code, required: false, code_list: drug_route}
    injecting_status: {check: code, required: false, code_list: injecting_status}
    drinking_days_28: {check: integer, required: false, min: 0, max: 28}
    daily_units: {check: integer, required: false, min: 0, max: 200}
    offence: {check: code, required: false, code_list: offence}
    offender_management: {check: code, required: false, code_list: offender_management}
stg_ims__agencies:
  source_name: ims_agencies
  record_key: agency_code
  person_level: false
  columns:
    agency_code: {check: key, required: true}
    agency_name: {check: text, required: true}
    agency_type: {check: code, required: true, code_list: agency_type}
    la_code: {check: code, required: true, code_list: la_code}
    opened_date: {check: date, required: false}
    closed_date: {check: date, required: false}
stg_ims__nsp_transactions:
  source_name: ims_nsp_transactions
  record_key: transaction_id
  event_date: transaction_date
  person_level: true
  columns:
    transaction_id: {check: key, required: true}
    agency_code: {check: text, required: true}
    transaction_date: {check: date, required: true, not_in_future: true}
    sex: {check: attributor}
    client_la_code: {check: code, required: false, code_list: la_code}
    substance_injected: {check: code, required: true, code_list: ims_injected_substance}
    needles_issued: {check: integer, required: true, min: 0, max: 10000}
    syringes_issued: {check: integer, required: false, min: 0, max: 10000}
    sharps_returned: {check: code, required: false, code_list: yes_no}
    first_visit: {check: code, required: false, code_list: yes_no}
stg_ims__interventions:
  source_name: ims_interventions
  record_key: intervention_id
  event_date: intervention_date
  person_level: true
  columns:
    intervention_id: {check: key, required: true}
    agency_code: {check: text, required: true}
    intervention_date: {check: date, required: true, not_in_future: true}
    sex: {check: attributor}
    client_la_code: {check: code, required: false, code_list: la_code}
    intervention_category: {check: code, required: true, code_list: intervention_category}
    main_substance: {check: code, required: false, code_list: ims_substance}
    second_substance: {check: code, required: false, code_list: ims_substance}
stg_mdt__drug_tests:
  source_name: mdt_results
  record_key: test_id
  event_date: test_date
  person_level: true
  columns:
    test_id: {check: key, required: true}
    test_date: {check: date, required: true, not_in_future: true}
    custody_suite: {check: text, required: true}
    custody_la_code: {check: code, required: true, code_list: la_code}
    sex: {check: attributor}
    opiates: {check: code, required: true, code_list: test_result}
    cocaine: {check: code, required: true, code_list: test_result}
stg_ndtms__episodes:
  source_name: ndtms_episodes
  record_key: episode_id
  event_date: referral_date
  person_level: true
  columns:
    episode_id: {check: key, required: true}
    provider_code: {check: text, required: true}
    sex: {check: attributor}
    ethnicity: {check: code, required: false, code_list: ethnicity}
    client_la_code: {check: code, required: true, code_list: la_code}
    referral_date: {check: date, required: true, not_in_future: true}
    referral_source: {check: code, required: false, code_list: referral_source}
    triage_date: {check: date, required: false, not_before: referral_date, not_in_future: true}
    first_intervention_date: {check: date, required: false, not_before: referral_date, not_in_future: true}
    setting: {check: code, required: false, code_list: setting}
    substance_1: {check: code, required: true, code_list: treatment_substance}
    substance_2: {check: code, required: false, code_list: treatment_substance}
    substance_3: {check: code, required: false, code_list: treatment_substance}
    injecting_status: {check: code, required: false, code_list: injecting_status}
    accommodation_need: {check: code, required: false, code_list: accommodation_need}
    employment_status: {check: code, required: false, code_list: employment_status}
    parental_status: {check: code, required: false, code_list: parental_status}
    discharge_date: {check: date, required: false, not_before: referral_date, not_in_future: true}
    discharge_reason: {check: code, required: false, code_list: discharge_reason, required_with: discharge_date}
    hbv_vaccination: {check: code, required: false, code_list: hbv_vaccination}
    hcv_tested: {check: code, required: false, code_list: hcv_tested}
stg_ndtms__top_reviews:
  source_name: ndtms_top
  record_key: top_id
  event_date: review_date
  person_level: false
  columns:
    top_id: {check: key, required: true}
    episode_id: {check: text, required: true}
    review_date: {check: date, required: true, not_in_future: true}
    stage: {check: code, required: true, code_list: top_stage}
    days_opiates: {check: integer, required: false, min: 0, max: 28}
    days_crack: {check: integer, required: false, min: 0, max: 28}
    days_cocaine: {check: integer, required: false, min: 0, max: 28}
    days_amphetamine: {check: integer, required: false, min: 0, max: 28}
    days_cannabis: {check: integer, required: false, min: 0, max: 28}
    days_alcohol: {check: integer, required: false, min: 0, max: 28}
    injected_last_28: {check: code, required: false, code_list: yes_no}
    housing: {check: code, required: false, code_list: top_housing}
    days_paid_work: {check: integer, required: false, min: 0, max: 28}
stg_reference__prevalence_estimates:
  source_name: prevalence_estimates
  record_key: prevalence_estimate_id
  person_level: false
  columns:
    la_code: {check: code, required: true, code_list: la_code}
    period: {check: period, required: true}
    drug_group: {check: code, required: true, code_list: prevalence_drug_group}
    age_band: {check: code, required: true, code_list: prevalence_age_band}
    estimate: {check: number, required: true, min: 0, max: 10000000}
    lower_95: {check: number, required: false, min: 0, max: 10000000}
    upper_95: {check: number, required: false, min: 0, max: 10000000}
stg_reference__populations:
  source_name: population
  record_key: population_id
  person_level: false
  columns:
    la_code: {check: code, required: true, code_list: la_code}
    year: {check: integer, required: true}
    sex: {check: code, required: true, code_list: population_sex}
    age_band: {check: code, required: true, code_list: population_age_band}
    population: {check: integer, required: true, min: 0, max: 10000000}
stg_reference__national_benchmarks:
  source_name: national_benchmarks
  record_key: national_benchmark_id
  person_level: false
  columns:
    indicator_code: {check: text, required: true}
    period: {check: text, required: true}
    breakdown: {check: text, required: false}
    numerator: {check: number, required: true, min: 0, max: 100000000}
    denominator: {check: number, required: true, min: 0, max: 100000000}
{%- endset -%}
{{ return(fromyaml(checks_yaml)) }}
{%- endmacro %}
