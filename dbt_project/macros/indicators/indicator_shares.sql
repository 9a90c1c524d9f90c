{#- Shares of a total: for each slice of a breakdown, the count in the slice (numerator) over the
    count in its parent (denominator), per local authority and for the region, built from the same
    records with indicator_counts. A flat breakdown's parent is the whole ('all'); a nested
    breakdown ('parent|child', e.g. 'male|25-29') has the parent expression's value as its first
    part, so the denominator is the parent slice (all men with the item recorded).
    Both counts use the same where clause: the denominator is "recorded for", as the published
    profiles' n= figures. -#}
{% macro indicator_shares(relation, indicator_code, breakdown_type, breakdown, parent="'all'", where='1 = 1', numerator='count(*)') -%}
    {%- set is_nested = not parent.strip().startswith("'") -%}
    select
        parts.indicator_code,
        parts.period,
        parts.area_code,
        parts.breakdown_type,
        parts.breakdown,
        parts.numerator,
        totals.numerator as denominator
    from (
        {{ indicator_counts(relation, indicator_code, breakdown_type, breakdown, numerator, where=where) }}
    ) as parts
    inner join (
        {{ indicator_counts(relation, indicator_code, 'parent', parent, numerator, where=where) }}
    ) as totals
        on
            parts.period = totals.period
            and parts.area_code = totals.area_code
            {%- if is_nested %}
            and {{ dbt.split_part('parts.breakdown', "'|'", 1) }} = totals.breakdown
            {%- endif %}
{%- endmacro %}

{#- Breakdowns whose values are 'parent|child': the breakdown type of each part's parent slice
    (the second is the margin across the first part, when it is published too). Disclosure
    control groups a nested breakdown's cells under these parent cells, and share denominators
    are the parent cell. cohort_age_band predates this list and is handled on its own. -#}
{% macro nested_breakdown_types() -%}
    {{ return({
        'route': ('route_group', none),
        'sex_age_band': ('sex', 'age_band'),
        'sex_drinking_days': ('sex', none),
        'sex_daily_units': ('sex', none),
        'cohort_main_substance': ('cohort', none),
        'cohort_second_substance': ('cohort', none),
        'sex_positive_type': ('sex', 'positive_type'),
        'tests_band_known': ('tests_band', none),
        'substance_group_sex': ('substance_group', none),
        'substance_group_referral_group': ('substance_group', none),
        'substance_group_employment_status': ('substance_group', none),
        'substance_group_accommodation_need': ('substance_group', none),
        'substance_group_parental_status': ('substance_group', none),
        'age_group_drug': ('age_group', none),
    }) }}
{%- endmacro %}

{#- Flat breakdowns whose slices partition the area's 'all' count of the same quantity
    (disclosure control: the slices and the total form a group). -#}
{% macro additive_breakdown_types() -%}
    {{ return([
        'substance_group', 'sex', 'age_band', 'cohort', 'route_group', 'category',
        'ethnicity_group', 'residence', 'offence', 'offender_management',
        'drug', 'drug_route', 'injecting_status', 'transfer_destination',
        'positive_type', 'tests_band',
        'referral_group', 'employment_status', 'accommodation_need', 'parental_status', 'setting',
        'ethnic_group',
    ]) }}
{%- endmacro %}

{#- The label dimension of each breakdown type: (dimension of the first part, dimension of the
    second part) for nested breakdowns, (dimension, none) for flat ones. Dimensions are the
    breakdown_labels seed's and the code lists' (see dim_breakdown_labels); a breakdown type not
    listed is labelled by its own values. -#}
{% macro breakdown_dimensions() -%}
    {{ return({
        'all': ('all', none),
        'substance_group': ('substance_group', none),
        'sex': ('sex', none),
        'age_band': ('age_band', none),
        'cohort': ('cohort', none),
        'category': ('category', none),
        'route_group': ('route_group', none),
        'ethnicity_group': ('ethnicity_group', none),
        'residence': ('residence', none),
        'offence': ('offence', none),
        'offender_management': ('offender_management', none),
        'drug': ('drug', none),
        'drug_route': ('drug_route', none),
        'injecting_status': ('injecting_status', none),
        'transfer_destination': ('transfer_destination', none),
        'route': ('route_group', 'route'),
        'sex_age_band': ('sex', 'age_band'),
        'sex_drinking_days': ('sex', 'drinking_days'),
        'sex_daily_units': ('sex', 'daily_units'),
        'cohort_age_band': ('cohort', 'age_band'),
        'cohort_main_substance': ('cohort', 'ims_substance'),
        'cohort_second_substance': ('cohort', 'ims_substance'),
        'drug_group': ('drug_group', none),
        'ring': ('ring', none),
        'cohort_known': ('cohort', 'known_status'),
        'positive_type': ('positive_type', none),
        'sex_positive_type': ('sex', 'positive_type'),
        'tests_band': ('tests_band', none),
        'tests_band_known': ('tests_band', 'known_status'),
        'provider_measure': ('provider', 'provider_measure'),
        'substance_group_sex': ('substance_group', 'sex'),
        'referral_group': ('referral_group', none),
        'substance_group_referral_group': ('substance_group', 'referral_group'),
        'employment_status': ('employment_status', none),
        'substance_group_employment_status': ('substance_group', 'employment_status'),
        'accommodation_need': ('accommodation_need', none),
        'substance_group_accommodation_need': ('substance_group', 'accommodation_need'),
        'parental_status': ('parental_status', none),
        'substance_group_parental_status': ('substance_group', 'parental_status'),
        'setting': ('setting', none),
        'ethnic_group': ('ethnic_group', none),
        'course_stage': ('course_stage', none),
        'top_drug': ('top_drug', none),
        'age_group': ('age_group', none),
        'accommodation_problem': ('accommodation_problem', none),
        'age_group_drug': ('age_group', 'presenting_drug'),
    }) }}
{%- endmacro %}
