{#- Each published indicator row shows one or two counts (numerator, denominator). The same count
    often appears in several rows - people in treatment is the tx_in_treatment count and the
    denominator of completions; each DIP stage is the next stage's denominator - so disclosure
    control works on counts ("cells"), and a row is withheld when any of its cells is.
    A cell is identified by the quantity it counts, the period, the area and the breakdown. -#}
with

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}

),

quantities as (

    {#- numerator and denominator quantity of each indicator, and where the denominator's
        breakdown differs from the row's: 'all' (shares of a total), the cohort of a
        cohort|age band breakdown, or 'parent': the parent slice of a nested breakdown
        ('male' for 'male|25-29', see nested_breakdown_types) and 'all' for a flat one. A share
        whose numerator and denominator are the same quantity is a slice of its own total, which
        is what lets disclosure control group the slices under it. -#}
    {%- set quantities = [
        ('tx_in_treatment', 'tx_people', none, 'same'),
        ('tx_successful_completion', 'tx_completions', 'tx_people', 'same'),
        ('tx_non_representation', 'tx_completions_not_representing', 'tx_people', 'same'),
        ('tx_wait_under_3w', 'tx_waits_under_3w', 'tx_new_with_intervention', 'same'),
        ('tx_wait_over_6w', 'tx_waits_over_6w', 'tx_new_with_intervention', 'same'),
        ('tx_early_unplanned_exit', 'tx_early_unplanned_exits', 'tx_new_presentations', 'same'),
        ('tx_penetration', 'tx_ocu_people_15_64', none, 'same'),
        ('nsp_clients', 'nsp_clients', none, 'same'),
        ('nsp_visits', 'nsp_visits', none, 'same'),
        ('nsp_needles', 'nsp_needles', none, 'same'),
        ('ims_intervention_share', 'ims_interventions', 'ims_interventions', 'all'),
        ('ims_cohort_size', 'ims_people', none, 'same'),
        ('ims_cohort_male_share', 'ims_male_people', 'ims_people', 'same'),
        ('ims_cohort_age_share', 'ims_people_by_age', 'ims_people', 'cohort_of_band'),
        ('dip_contacts', 'dip_contacts', none, 'same'),
        ('dip_assessed', 'dip_assessed', 'dip_contacts', 'same'),
        ('dip_further_required', 'dip_further_required', 'dip_assessed', 'same'),
        ('dip_caseload', 'dip_caseload', 'dip_further_required', 'same'),
        ('dip_route_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_sex_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_age_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_ethnicity_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_residence_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_offence_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_offender_management_share', 'dip_contacts', 'dip_contacts', 'parent'),
        ('dip_drug_route_share', 'dip_drug_route', 'dip_drug_route', 'parent'),
        ('dip_injecting_share', 'dip_injecting', 'dip_injecting', 'parent'),
        ('dip_drinking_days_share', 'dip_drinking_days', 'dip_drinking_days', 'parent'),
        ('dip_daily_units_share', 'dip_daily_units', 'dip_daily_units', 'parent'),
        ('dip_drug_mention_share', 'dip_drug_mentions', 'dip_drug_mentions', 'parent'),
        ('dip_transferred_out', 'dip_transferred_out', 'dip_not_taken_on', 'same'),
        ('dip_transfer_destination_share', 'dip_transferred_out', 'dip_transferred_out', 'parent'),
        ('ims_main_substance_recorded', 'ims_main_substance', 'ims_people', 'same'),
        ('ims_main_substance_share', 'ims_main_substance', 'ims_main_substance', 'parent'),
        ('ims_second_substance_recorded', 'ims_second_substance', 'ims_people', 'same'),
        ('ims_second_substance_share', 'ims_second_substance', 'ims_second_substance', 'parent'),
        ('prev_rate', 'prevalence_estimate', 'population_15_64', 'same'),
        ('tx_unmet_need', 'tx_unmet_need', 'prevalence_estimate', 'same'),
        ('bullseye_people', 'bullseye_people', none, 'same'),
        ('known_to_treatment', 'known_to_treatment', 'known_cohort_people', 'cohort_of_band'),
        ('dip_entered_treatment', 'dip_entered_treatment', 'dip_caseload', 'same'),
        ('mdt_tests', 'mdt_tests', none, 'same'),
        ('mdt_positive_share', 'mdt_tests', 'mdt_tests', 'parent'),
        ('mdt_repeat_testers', 'mdt_positive_people', 'mdt_positive_people', 'parent'),
        ('provider_flows', 'provider_flows', none, 'same'),
        ('tx_substance_group_share', 'tx_people', 'tx_people_known_group', 'all'),
        ('tx_age_band_share', 'tx_people', 'tx_people', 'parent'),
        ('tx_sex_share', 'tx_people', 'tx_people_known_sex', 'all'),
        ('tx_sex_recorded', 'tx_people_known_sex', 'tx_people', 'same'),
        ('tx_new_presentations', 'tx_new_presentations', none, 'same'),
        ('tx_new_citations', 'tx_new_citations', none, 'same'),
        ('tx_new_ethnicity_share', 'tx_new_ethnic_group', 'tx_new_ethnic_group', 'parent'),
        ('tx_new_ethnicity_recorded', 'tx_new_ethnic_group', 'tx_new_presentations', 'same'),
        ('tx_effective_engagement', 'tx_engaged_12w', 'tx_new_engagement_eligible', 'same'),
        ('tx_referral_source_share', 'tx_new_referral_group', 'tx_new_referral_group', 'parent'),
        ('tx_referral_source_recorded', 'tx_new_referral_group', 'tx_new_presentations', 'same'),
        ('tx_employment_share', 'tx_new_employment_status', 'tx_new_employment_status', 'parent'),
        ('tx_employment_recorded', 'tx_new_employment_status', 'tx_new_presentations', 'same'),
        ('tx_housing_share', 'tx_new_accommodation_need', 'tx_new_accommodation_need', 'parent'),
        ('tx_housing_recorded', 'tx_new_accommodation_need', 'tx_new_presentations', 'same'),
        ('tx_parental_share', 'tx_new_parental_status', 'tx_new_parental_status', 'parent'),
        ('tx_parental_recorded', 'tx_new_parental_status', 'tx_new_presentations', 'same'),
        ('tx_setting_share', 'tx_people_setting', 'tx_people_setting', 'parent'),
        ('tx_setting_recorded', 'tx_people_setting', 'tx_people', 'same'),
        ('tx_ethnicity_share', 'tx_people_ethnic_group', 'tx_people_ethnic_group', 'parent'),
        ('tx_ethnicity_recorded', 'tx_people_ethnic_group', 'tx_people', 'same'),
        ('tx_residential_rehab', 'tx_residential_people', none, 'same'),
        ('tx_deaths_in_treatment', 'tx_deaths', none, 'same'),
        ('tx_long_term', 'tx_long_term_people', 'tx_people', 'same'),
        ('tx_club_drugs', 'tx_club_drug_people', 'tx_people', 'same'),
        ('tx_pom_otc', 'tx_pom_otc_people', 'tx_people', 'same'),
        ('tx_hcv_tested', 'tx_hcv_tested_people', 'tx_hcv_eligible', 'same'),
        ('tx_hbv_vaccinated', 'tx_hbv_vaccinated_people', 'tx_ever_injected', 'all'),
        ('top_abstinent', 'top_abstinent', 'top_using_at_start', 'same'),
        ('top_reduced_use', 'top_reduced_use', 'top_using_at_start', 'same'),
        ('top_injecting_stopped', 'top_injecting_stopped', 'top_injecting_at_start', 'same'),
        ('top_housing_resolved', 'top_housing_resolved', 'top_urgent_housing_at_start', 'same'),
        ('top_paid_work', 'top_paid_work', 'top_no_paid_work_at_start', 'same'),
    ] %}
    {% for code, numerator, denominator, denominator_breakdown in quantities %}
    select
        '{{ code }}' as indicator_code,
        '{{ numerator }}' as numerator_quantity,
        {% if denominator %}'{{ denominator }}'{% else %}cast(
            null as {{ dbt.type_string() }}
        ){% endif %}
            as denominator_quantity,
        '{{ denominator_breakdown }}' as denominator_breakdown
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

numerators as (

    select
        indicator_values.indicator_value_id,
        'numerator' as role,
        quantities.numerator_quantity as quantity,
        indicator_values.period,
        indicator_values.area_code,
        indicator_values.area_type,
        indicator_values.breakdown_type,
        indicator_values.breakdown,
        indicator_values.numerator as cell_count
    from indicator_values
    inner join quantities
        on indicator_values.indicator_code = quantities.indicator_code

),

denominators as (

    select
        indicator_values.indicator_value_id,
        'denominator' as role,
        quantities.denominator_quantity as quantity,
        indicator_values.period,
        indicator_values.area_code,
        indicator_values.area_type,
        case
            when quantities.denominator_breakdown = 'all' then 'all'
            when quantities.denominator_breakdown = 'cohort_of_band' then 'cohort'
            {%- for nested_type, parents in nested_breakdown_types().items() %}
            when
                quantities.denominator_breakdown = 'parent'
                and indicator_values.breakdown_type = '{{ nested_type }}'
                then '{{ parents[0] }}'
            {%- endfor %}
            when quantities.denominator_breakdown = 'parent' then 'all'
            else indicator_values.breakdown_type
        end as breakdown_type,
        case
            when quantities.denominator_breakdown = 'all' then 'all'
            when
                quantities.denominator_breakdown = 'cohort_of_band'
                then {{ dbt.split_part('indicator_values.breakdown', "'|'", 1) }}
            when
                quantities.denominator_breakdown = 'parent' and indicator_values.breakdown_type in (
                    {%- for nested_type in nested_breakdown_types() %}
                    '{{ nested_type }}'{% if not loop.last %},{% endif %}
                    {%- endfor %}
                ) then {{ dbt.split_part('indicator_values.breakdown', "'|'", 1) }}
            when quantities.denominator_breakdown = 'parent' then 'all'
            else indicator_values.breakdown
        end as breakdown,
        indicator_values.denominator as cell_count
    from indicator_values
    inner join quantities
        on indicator_values.indicator_code = quantities.indicator_code
    where quantities.denominator_quantity is not null

),

components as (

    {#- tx_unmet_need = estimate - persons in treatment, and the estimate is published, so the
        persons subtracted are a count of the row too: estimate - unmet need, or (when unmet
        need is floored at 0) the estimate, which they reach or exceed. -#}
    select
        indicator_value_id,
        'component' as role,
        'tx_unmet_need_treated' as quantity,
        period,
        area_code,
        area_type,
        breakdown_type,
        breakdown,
        case when numerator > 0 then denominator - numerator else denominator end as cell_count
    from indicator_values
    where indicator_code = 'tx_unmet_need'

),

cells as (

    select * from numerators
    union all
    select * from denominators
    union all
    select * from components

)

select
    indicator_value_id || '|' || role as value_cell_id,
    indicator_value_id,
    role,
    quantity
    || '|'
    || period
    || '|'
    || area_code
    || '|'
    || breakdown_type
    || '|'
    || breakdown as cell_id,
    quantity,
    period,
    area_code,
    area_type,
    breakdown_type,
    breakdown,
    cell_count
from cells
