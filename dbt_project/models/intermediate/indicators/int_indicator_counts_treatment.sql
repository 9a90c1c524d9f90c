{#- Numerators and denominators of the treatment indicators (domain: Indicators), per local
    authority of residence and for the region. 'all' means drug treatment (opiate, non_opiate,
    non_opiate_alcohol); alcohol_only is its own breakdown. tx_substance_group_share: people in
    each substance group as a share of everyone in treatment with a known group, alcohol only
    included (the JSNA chapter's "% of total").
    tx_age_band_share: people in drug treatment in each age band as a share of everyone in drug
    treatment (breakdown age_band), and in each age band of a sex as a share of that sex
    (sex_age_band, 'female|30-39'; the chapter's Table 3 columns). Age is always recorded (date of
    birth is required), so its denominator is the tx_in_treatment count.
    tx_sex_share: people in drug treatment by sex as a share of those with sex recorded as male
    or female; tx_sex_recorded says how many that is of everyone in drug treatment. -#}
with

person_periods as (

    {{ treatment_breakdown_rows(ref('int_treatment_person_periods')) }}

),

new_presentations as (

    select * from {{ ref('int_treatment_new_presentations_measured') }}

),

ocu_in_treatment as (

    select *
    from person_periods
    where has_ocu_episode and age_at_midpoint between 15 and 64

),

counts as (

    {{ treatment_counts(
        'person_periods', 'tx_in_treatment',
        breakdowns=['all', 'substance_group', 'sex', 'age_band']
    ) }}

    {% for code, flag in [
        ('tx_successful_completion', 'is_successful_completion'),
        ('tx_non_representation', 'is_successful_completion and not has_representation_182d'),
    ] %}
    union all
    {# substance group by sex as the JSNA chapter's cross-tab ('opiate|male') #}
    {{ treatment_counts(
        'person_periods', code, 'sum(case when ' ~ flag ~ ' then 1 else 0 end)', 'count(*)',
        breakdowns=['all', 'substance_group', 'sex', 'substance_group_sex']
    ) }}
    {% endfor %}

    {# each substance group's share of everyone in treatment (alcohol only included) #}
    union all
    {{ indicator_shares(
        'person_periods', 'tx_substance_group_share', 'substance_group', 'substance_group',
        where="substance_group <> 'unknown'"
    ) }}

    {% for code, flag, denominator, base in [
        ('tx_wait_under_3w', 'is_wait_under_3w', 'count(*)', 'has_first_intervention'),
        ('tx_wait_over_6w', 'is_wait_over_6w', 'count(*)', 'has_first_intervention'),
        ('tx_early_unplanned_exit', 'is_early_unplanned_exit', 'count(*)', '1 = 1'),
    ] %}
    union all
    {{ treatment_counts(
        'new_presentations', code, 'sum(case when ' ~ flag ~ ' then 1 else 0 end)', denominator,
        breakdowns=['all', 'substance_group'], where=base
    ) }}
    {% endfor %}

    union all
    {{ indicator_counts('ocu_in_treatment', 'tx_penetration', 'all', "'all'", 'count(*)') }}

    {# domain (Indicators, second release): the JSNA chapter's Table 3. Age bands as a share of
       everyone in drug treatment, and within each sex as a share of that sex ('male|18-29');
       date of birth is a required attributor, so the age-band slices (an 'unknown' band
       included, should one occur) add up to the tx_in_treatment count they divide by #}
    union all
    {{ indicator_shares(
        'person_periods', 'tx_age_band_share', 'age_band', 'age_band', where='is_drug_treatment'
    ) }}
    union all
    {{ indicator_shares(
        'person_periods', 'tx_age_band_share', 'sex_age_band', "sex_breakdown || '|' || age_band",
        parent='sex_breakdown', where='is_drug_treatment and sex_breakdown is not null'
    ) }}

    {# sex as a share of those recorded (male or female; indeterminate and not known left
       out), and how many were recorded #}
    union all
    {{ recorded_shares('person_periods', 'tx_sex', 'sex', 'sex_breakdown') }}

)

select * from counts
