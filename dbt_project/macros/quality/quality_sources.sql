{#- Data-quality scorecard and volume checks: who supplied each staged record (its provider),
    which month it belongs to, and the record-level checks that are not rules of the extract
    specification (those are in smw.staging_checks() and marts.fct_row_problems):

      key_optional   optional fields the reports need: 'not_recorded' when blank (or sent as
                     the list's own 'not stated' code, e.g. ethnicity Z)
      references     codes that must point at something the warehouse knows:
                     'unknown_reference' when they do not (an agency missing from the agencies
                     extract, an episode never sent, an area the warehouse does not cover)

    Provider (the organisation a data-quality lead feeds back to): the agency for IMS sources,
    the provider code for treatment (a TOP review: its episode's provider), the CJIT for DIP,
    the custody suite for drug tests; the reference extracts are one provider, 'reference data'.
    A record whose provider field is blank belongs to '(not recorded)'.

    Month: the first day of the month of the record's event date; a record without a readable
    event date takes the latest event month of the file that carried it; reference extracts
    (no event date) take the month of the build. It is YAML (read with fromyaml) so that the
    tests and the feedback pages can read the notes too. -#}
{% macro quality_sources() -%}
{%- set sources_yaml -%}
stg_ims__nsp_transactions:
  source_name: ims_nsp_transactions
  record_key: transaction_id
  provider: agency_code
  provider_type: agency
  event_date: transaction_date
  key_optional:
    client_la_code: >
      Where clients live shows whether needle exchange reaches the areas that need it.
  references:
    agency_code: {model: stg_ims__agencies, column: agency_code, what: an agency in the agencies extract (ims_agencies)}
stg_ims__interventions:
  source_name: ims_interventions
  record_key: intervention_id
  provider: agency_code
  provider_type: agency
  event_date: intervention_date
  key_optional:
    client_la_code: >
      Where clients live shows whether services reach the areas that need them.
    main_substance: >
      The main substance places clients in the substance tables; send 'none' when there is none.
  references:
    agency_code: {model: stg_ims__agencies, column: agency_code, what: an agency in the agencies extract (ims_agencies)}
stg_ndtms__episodes:
  source_name: ndtms_episodes
  record_key: episode_id
  provider: provider_code
  provider_type: treatment_provider
  event_date: referral_date
  key_optional:
    ethnicity: >
      Needs assessments report ethnicity; send Z when the client did not state it (Z is
      counted here as not recorded too, so the share of unknown ethnicity is visible).
    referral_source: >
      Referral routes (self, GP, criminal justice) are in every treatment profile; blanks are
      reported as 'other (including missing)'.
    injecting_status: >
      Injecting status drives blood-borne virus and harm-reduction figures; send 'declined' if
      the client declined to say.
    accommodation_need: >
      Housing need is in the treatment profile ('not stated/missing' otherwise).
    employment_status: >
      Employment is in the treatment profile ('not stated/missing' otherwise).
  not_stated_codes:
    ethnicity: [Z]
stg_ndtms__top_reviews:
  source_name: ndtms_top
  record_key: top_id
  provider_from: {model: stg_ndtms__episodes, key: episode_id, column: provider_code}
  provider_type: treatment_provider
  event_date: review_date
  references:
    episode_id: {model: stg_ndtms__episodes, column: episode_id, what: an episode sent in the episodes extract (ndtms_episodes)}
stg_dip__contacts:
  source_name: dip_contacts
  record_key: contact_id
  provider: cjit_code
  provider_type: cjit
  event_date: contact_date
  key_optional:
    ethnicity: >
      The DIP activity profile reports ethnicity; send Z when the client did not state it (Z is
      counted here as not recorded too).
    client_la_code: >
      Residence is a breakdown of the DIP activity profile.
    drugs_used: >
      Drugs used decide whether a client uses opiates and/or crack in the DIP profile.
  not_stated_codes:
    ethnicity: [Z]
  references:
    cjit_code: {areas: la, what: a local authority the warehouse covers}
stg_mdt__drug_tests:
  source_name: mdt_results
  record_key: test_id
  provider: custody_suite
  provider_type: custody_suite
  event_date: test_date
  references:
    custody_la_code: {areas: la, what: a local authority the warehouse covers}
stg_ims__agencies:
  source_name: ims_agencies
  record_key: agency_code
  provider_type: reference
stg_reference__prevalence_estimates:
  source_name: prevalence_estimates
  record_key: prevalence_estimate_id
  provider_type: reference
stg_reference__populations:
  source_name: population
  record_key: population_id
  provider_type: reference
stg_reference__national_benchmarks:
  source_name: national_benchmarks
  record_key: national_benchmark_id
  provider_type: reference
{%- endset -%}
{{ return(fromyaml(sources_yaml)) }}
{%- endmacro %}


{#- What a supplier should do about each kind of finding: the 'what to fix' of the scorecard
    and of the feedback pages. Kinds are those of marts.fct_row_problems plus not_recorded and
    unknown_reference (above). -#}
{% macro quality_fix_notes() -%}
{%- set notes_yaml -%}
missing_required: >
  The extract specification requires this field. Fill it in, and re-send the corrected records
  (same record id) in your next file: the latest version replaces the earlier one.
invalid_date: >
  Dates must be real dates written YYYY-MM-DD or DD/MM/YYYY. Correct the date and re-send the
  record.
impossible_date: >
  The date cannot be right: before the date it must follow (a discharge, triage or first
  intervention before the referral), in the future, or a date of birth after the event, in the
  future or more than 110 years before it. A record with such a date of birth is left out of
  every figure until corrected. Check the dates on your system and re-send the record.
invalid_number: >
  Send a number (a whole number where the specification says integer), without units or words.
negative_count: >
  Counts cannot be negative: send 0 or more.
out_of_range: >
  The value is outside the range the specification allows (days in the last 28 are 0 to 28).
unknown_code: >
  The value is not a code of the specification's list (codes may be in any case). Map your local
  codes to the listed ones, using 'other' where the list has it.
invalid_period: >
  Financial years are written YYYY-YY (e.g. 2020-21).
incomplete_attributor: >
  The attributor (first initial, surname initial, date of birth, sex) is incomplete or invalid,
  so the client cannot be linked to their other records or across services. Complete it.
not_recorded: >
  Optional in the specification, but needed for reporting: record it whenever it is known.
unknown_reference: >
  The code points at something the warehouse does not know. Correct the code, or send the
  missing record it should point at.
{%- endset -%}
{{ return(fromyaml(notes_yaml)) }}
{%- endmacro %}


{#- The provider of a record (see above), as SQL over `records` (and `providers` for sources
    whose provider comes from another record). -#}
{% macro quality_provider_sql(config) -%}
    {%- if config.provider_type == 'reference' -%}
        'reference data'
    {%- elif config.provider_from is defined -%}
        coalesce(providers.{{ config.provider_from.column }}, '(not recorded)')
    {%- else -%}
        coalesce(records.{{ config.provider }}, '(not recorded)')
    {%- endif -%}
{%- endmacro %}


{#- One row per staged record of one source: source, record key, provider, provider type, month,
    and (with_checks) one boolean column per record-level check, named <field>__<kind>. -#}
{% macro quality_records(model_name, with_checks=true) -%}
    {%- set config = smw.quality_sources()[model_name] -%}
    {%- set event_month -%}
        {%- if config.event_date is defined -%}
            cast({{ dbt.date_trunc('month', 'records.' ~ config.event_date) }} as date)
        {%- else -%}
            cast({{ dbt.date_trunc('month', smw.today()) }} as date)
        {%- endif -%}
    {%- endset %}
    select
        '{{ config.source_name }}' as source_name,
        records.{{ config.record_key }} as record_key,
        {{ smw.quality_provider_sql(config) }} as provider_id,
        '{{ config.provider_type }}' as provider_type,
        coalesce(
            {{ event_month }},
            max({{ event_month }}) over (partition by records._load_id)
        ) as month_start
        {%- if with_checks %}
        {%- set not_stated = config.get('not_stated_codes', {}) %}
        {%- for field in config.get('key_optional', {}) %},
        (
            records.{{ field }} is null
            {%- if field in not_stated %}
            or records.{{ field }} in ('{{ not_stated[field] | join("', '") }}')
            {%- endif %}
        ) as {{ field }}__not_recorded
        {%- endfor %}
        {%- for field, ref_config in config.get('references', {}).items() %},
        (
            records.{{ field }} is not null
            {%- if ref_config.areas is defined %}
            and records.{{ field }} <> 'unknown'
            and records.{{ field }} not in (
                select area_code from {{ ref('areas') }} where area_type = '{{ ref_config.areas }}'
            )
            {%- else %}
            and records.{{ field }} not in (
                select known.{{ ref_config.column }}
                from {{ smw.staged_records(ref_config.model) }} as known
                where known.{{ ref_config.column }} is not null
            )
            {%- endif %}
        ) as {{ field }}__unknown_reference
        {%- endfor %}
        {%- endif %}
    from {{ smw.staged_records(model_name) }} as records
    {%- if config.provider_from is defined %}
    left join {{ smw.staged_records(config.provider_from.model) }} as providers
        on providers.{{ config.provider_from.key }} = records.{{ config.provider_from.key }}
    {%- endif %}
{%- endmacro %}


{#- The record-level checks of one source: (field, kind, rule in words). -#}
{% macro quality_record_checks(model_name) -%}
    {%- set config = smw.quality_sources()[model_name] -%}
    {%- set checks = [] -%}
    {%- for field in config.get('key_optional', {}) -%}
        {%- do checks.append({'field': field, 'kind': 'not_recorded',
            'rule': 'recorded when known (optional, needed for reporting)'}) -%}
    {%- endfor -%}
    {%- for field, ref_config in config.get('references', {}).items() -%}
        {%- do checks.append({'field': field, 'kind': 'unknown_reference',
            'rule': 'must be ' ~ ref_config.what}) -%}
    {%- endfor -%}
    {{ return(checks) }}
{%- endmacro %}
