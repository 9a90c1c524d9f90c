{#- Indicators that more than one count model publishes, each stated once (domain: Indicators).
    Every macro is a union of indicator_counts/indicator_shares selects over relation, which has
    the columns the measure reads; the annual count models and the quarterly/rolling windows
    (fct_indicator_counts_periods) call the same macro, so a window counts what the year counts. -#}

{#- nsp_clients, nsp_visits, nsp_needles: distinct people, transactions and needles issued (a
    transaction's positive needles_issued) over NSP transactions, in one breakdown. With
    summed=true, relation has one row per person and what else it is grouped by, with visits and
    needles (nsp_activity_summed): the counts are the same, over fewer rows. -#}
{% macro nsp_activity_counts(relation, breakdown_type='all', breakdown="'all'", where='1 = 1', summed=false) -%}
    {%- set visits = 'sum(visits)' if summed else 'count(*)' -%}
    {%- set needles = 'sum(needles)' if summed else smw.nsp_needles_issued() -%}
    {{ smw.indicator_counts(
        relation, 'nsp_clients', breakdown_type, breakdown, 'count(distinct person_id)', where=where
    ) }}
    union all
    {{ smw.indicator_counts(relation, 'nsp_visits', breakdown_type, breakdown, visits, where=where) }}
    union all
    {{ smw.indicator_counts(relation, 'nsp_needles', breakdown_type, breakdown, needles, where=where) }}
{%- endmacro %}

{#- NSP transactions (relation) grouped by keys (a person and, e.g., area and quarter), with the
    transactions as visits and the needles issued as needles, for nsp_activity_counts(summed=true). -#}
{% macro nsp_activity_summed(relation, keys) -%}
    select
        {{ keys }},
        count(*) as visits,
        {{ smw.nsp_needles_issued() }} as needles
    from {{ relation }}
    group by {{ keys }}
{%- endmacro %}

{#- The needles issued over transactions: a transaction's positive needles_issued. -#}
{% macro nsp_needles_issued() -%}
    sum(case when needles_issued > 0 then needles_issued else 0 end)
{%- endmacro %}

{#- The DIP funnel (domain: dip_contacts, dip_assessed, dip_further_required, dip_caseload):
    contacts, then each stage over the stage before it, over DIP contacts (is_assessed,
    is_further_required, is_taken_onto_caseload), breakdown 'all'. -#}
{% macro dip_funnel_counts(relation) -%}
    {{ smw.indicator_counts(relation, 'dip_contacts', 'all', "'all'", 'count(*)') }}
    {%- for code, stage, previous in [
        ('dip_assessed', 'is_assessed', none),
        ('dip_further_required', 'is_further_required', 'is_assessed'),
        ('dip_caseload', 'is_taken_onto_caseload', 'is_further_required'),
    ] %}
    union all
    {{ smw.indicator_counts(
        relation, code, 'all', "'all'", 'sum(case when ' ~ stage ~ ' then 1 else 0 end)',
        'sum(case when ' ~ previous ~ ' then 1 else 0 end)' if previous else 'count(*)'
    ) }}
    {%- endfor %}
{%- endmacro %}

{#- The rows of a treatment relation (with sex and age_at_midpoint) with the breakdown columns
    treatment_counts reads: sex_breakdown (sex_breakdown) and the treatment age band
    (age_band_treatment). -#}
{% macro treatment_breakdown_rows(relation) -%}
    select
        *,
        {{ smw.sex_breakdown('sex') }} as sex_breakdown,
        {{ smw.age_band_treatment('age_at_midpoint') }} as age_band
    from {{ relation }}
{%- endmacro %}

{#- A treatment indicator over persons (relation: one row per person and period, with
    is_drug_treatment, substance_group, sex_breakdown and age_band: treatment_breakdown_rows) in each of breakdowns, with
    the treatment scopes of the first release: 'all' and the breakdowns of drug treatment count
    drug treatment only; a substance group breakdown counts every known group, alcohol only
    included; sex breakdowns leave out sex not recorded. where (optional) narrows every one. -#}
{% macro treatment_counts(relation, indicator_code, numerator='count(*)', denominator='null', breakdowns=['all'], where=none) -%}
    {%- set scopes = {
        'all': ("'all'", 'is_drug_treatment'),
        'substance_group': ('substance_group', "substance_group <> 'unknown'"),
        'sex': ('sex_breakdown', 'is_drug_treatment and sex_breakdown is not null'),
        'age_band': ('age_band', 'is_drug_treatment'),
        'substance_group_sex': (
            "substance_group || '|' || sex_breakdown",
            "substance_group <> 'unknown' and sex_breakdown is not null",
        ),
    } -%}
    {%- for breakdown_type in breakdowns %}
    {%- if breakdown_type not in scopes -%}
        {{ exceptions.raise_compiler_error("treatment_counts: no scope for breakdown " ~ breakdown_type) }}
    {%- endif -%}
    {%- set breakdown, scope = scopes[breakdown_type] %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    {{ smw.indicator_counts(
        relation, indicator_code, breakdown_type, breakdown, numerator, denominator,
        where=(where ~ ' and ' ~ scope) if where else scope
    ) }}
    {%- endfor %}
{%- endmacro %}

{#- <code>_share: the slices of field (breakdown_type) as shares of those with it recorded, and
    <code>_recorded: how many have it recorded of everyone counted, both over the records where
    where holds (domain: Indicators, "of those recorded"). -#}
{% macro recorded_shares(relation, code, breakdown_type, field, where='is_drug_treatment') -%}
    {{ smw.indicator_shares(
        relation, code ~ '_share', breakdown_type, field, where=where ~ ' and ' ~ field ~ ' is not null'
    ) }}
    union all
    {{ smw.indicator_counts(
        relation, code ~ '_recorded', 'all', "'all'",
        'sum(case when ' ~ field ~ ' is not null then 1 else 0 end)', 'count(*)', where=where
    ) }}
{%- endmacro %}
