{#- Numerators and denominators of the treatment support pack's indicators (domain: Indicators,
    second release, first table), per local authority of residence and for the region.
    'all' is drug treatment (opiate, non_opiate, non_opiate_alcohol), as in the first release;
    substance-group breakdowns include alcohol_only.
    - "At start" indicators count new presentations: persons with a new-presentation episode
      referred in the year, with the fields of their first (int_treatment_new_presentations_measured).
    - "In treatment" indicators count persons in treatment in the year with their latest
      episode's fields (int_treatment_person_profiles).
    - Shares are of those recorded; <code>_recorded (tx_referral_source_recorded, ...) is the
      share of the population with the field recorded, as the IMS substance indicators do.
    - tx_hcv_tested: of persons in drug treatment who ever injected (latest episode: previously or currently) and
      are not assessed not_eligible, those tested (hcv_tested = Y); broken down by injecting
      status. tx_hbv_vaccinated: of everyone who ever injected, a course started, completed or
      immune ('all') and completed or immune (course_stage completed_or_immune).
    - tx_club_drugs, tx_pom_otc: persons citing a club drug / a POM or OTC medicine in any
      substance field of an episode in the year, as a share of persons in treatment (the count is
      the numerator). tx_residential_rehab and tx_deaths_in_treatment are counts.
    - tx_new_citations (the JSNA chapter's presenting substances by age): new presentations in
      drug treatment aged under 25 or 40 and over (age at the period's midpoint, as the age bands
      of tx_new_presentations) citing each drug group (presenting_drug: alcohol is no drug
      group) in any substance field of their presenting episode, a person once per group
      ('under_25|cannabis'); breakdown age_group is all citations of the age group, the sum of
      its drug groups.
    - tx_housing_share by accommodation_problem ('any_problem'): urgent_problem plus
      housing_problem, over the same denominator as its accommodation_need slices.
    - tx_new_presentations by age_group ('under_25'): new presentations aged under 25 at the
      period's midpoint, alcohol-only clients included (as the JSNA chapter counts its
      under-25s presenting; the substance_group breakdown has an alcohol_only slice too).
    - tx_new_ethnicity_share: new presentations in drug treatment by the ethnic group of their
      presenting episode, of those stated (Z, empty and unknown codes left out);
      tx_new_ethnicity_recorded: those stated over all new presentations in drug treatment. -#}
with

new_presentations as (

    {{ treatment_breakdown_rows(ref('int_treatment_new_presentations_measured')) }}

),

episodes as (

    select * from {{ ref('int_treatment_episodes_grouped') }}

),

ethnic_groups as (

    select code, category from {{ ref('code_lists') }}
    where code_list = 'ethnicity'

),

profiles as (

    select * from {{ ref('int_treatment_person_profiles') }}

),

{# domain (Indicators, second release; the JSNA chapter's presenting substances): each drug
   group a new presentation in drug treatment cites in its presenting episode's substance fields
   (a person citing heroin and methadone cites opiates once), for those aged under 25 and 40 and
   over at the period's midpoint (as tx_new_presentations' age bands) #}
presenting_substances as (

    select episode_id, substance_1 as substance_code from episodes
    union all
    select episode_id, substance_2 as substance_code from episodes
    union all
    select episode_id, substance_3 as substance_code from episodes

),

citations as (

    select distinct
        new_presentations.new_presentation_id,
        new_presentations.period,
        new_presentations.area_code,
        case
            when new_presentations.age_at_midpoint < 25 then 'under_25'
            else '40+'
        end as age_group,
        {{ presenting_drug('presenting_substances.substance_code') }} as presenting_drug
    from new_presentations
    inner join presenting_substances
        on new_presentations.episode_id = presenting_substances.episode_id
    where
        new_presentations.is_drug_treatment
        and (new_presentations.age_at_midpoint < 25 or new_presentations.age_at_midpoint >= 40)
        and {{ presenting_drug('presenting_substances.substance_code') }} is not null

),

{# domain (Indicators, second release: "at start" reads the presenting episode's own fields):
   the ethnic group of a new presentation's presenting episode, null when not stated (Z), empty
   or not in the code list, as tx_ethnicity_share reads the latest episode #}
new_presentations_ethnicity as (

    select
        new_presentations.*,
        case
            when ethnic_groups.category = 'not_stated' then null
            else ethnic_groups.category
        end as ethnic_group
    from new_presentations
    left join episodes
        on new_presentations.episode_id = episodes.episode_id
    left join ethnic_groups
        on episodes.ethnicity = ethnic_groups.code

),

injectors as (

    select * from profiles
    where has_ever_injected and is_drug_treatment

),

counts as (

    {# new presentations (persons) #}
    {{ treatment_counts(
        'new_presentations', 'tx_new_presentations',
        breakdowns=['all', 'substance_group', 'sex', 'age_band']
    ) }}

    {# new presentations aged under 25 at the period's midpoint, alcohol-only clients included
       (the chapter's under-25s presenting "also include those who are in treatment for alcohol
       misuse"; not a partition of the age bands, so not grouped with them) #}
    union all
    {{ indicator_counts(
        'new_presentations', 'tx_new_presentations', 'age_group', "'under_25'", 'count(*)',
        where='age_at_midpoint < 25'
    ) }}

    {# ethnic group of new presentations, of those stated, and how many were stated #}
    union all
    {{ recorded_shares(
        'new_presentations_ethnicity', 'tx_new_ethnicity', 'ethnic_group', 'ethnic_group'
    ) }}

    {# citations: persons citing each drug group by age group, and all citations of the age
       group (their sum: a person citing two groups is two citations) #}
    union all
    {{ indicator_counts(
        'citations', 'tx_new_citations', 'age_group_drug', "age_group || '|' || presenting_drug",
        'count(*)'
    ) }}
    union all
    {{ indicator_counts('citations', 'tx_new_citations', 'age_group', 'age_group', 'count(*)') }}

    {# retained 12 weeks or completed #}
    union all
    {{ treatment_counts(
        'new_presentations', 'tx_effective_engagement',
        'sum(case when is_effectively_engaged then 1 else 0 end)', 'count(*)',
        breakdowns=['all', 'substance_group'], where='is_engagement_eligible'
    ) }}

    {# shares of new presentations at start, of those recorded, and how many were recorded #}
    {% for code, field, breakdown_type in [
        ('tx_referral_source', 'referral_group', 'referral_group'),
        ('tx_employment', 'employment_status', 'employment_status'),
        ('tx_housing', 'accommodation_need', 'accommodation_need'),
        ('tx_parental', 'parental_status', 'parental_status'),
    ] %}
    union all
    {{ recorded_shares('new_presentations', code, breakdown_type, field) }}
    union all
    {{ indicator_shares(
        'new_presentations', code ~ '_share', 'substance_group_' ~ breakdown_type,
        "substance_group || '|' || " ~ field, parent='substance_group',
        where="substance_group <> 'unknown' and " ~ field ~ ' is not null'
    ) }}
    {% endfor %}

    {# accommodation need: an urgent or a housing problem (the chapter's "housing problem or
       urgent no fixed abode problem"), of those recorded, as tx_housing_share's slices #}
    union all
    {{ indicator_counts(
        'new_presentations', 'tx_housing_share', 'accommodation_problem', "'any_problem'",
        "sum(case when accommodation_need in ('urgent_problem', 'housing_problem') then 1 else 0 end)",
        'count(*)', where='is_drug_treatment and accommodation_need is not null'
    ) }}

    {# shares of persons in treatment, of those recorded #}
    {% for code, field, breakdown_type in [
        ('tx_setting', 'setting', 'setting'),
        ('tx_ethnicity', 'ethnic_group', 'ethnic_group'),
    ] %}
    union all
    {{ recorded_shares('profiles', code, breakdown_type, field) }}
    {% endfor %}

    {# persons in treatment #}
    {% for code, flag, unit in [
        ('tx_residential_rehab', 'has_residential_episode', 'count'),
        ('tx_deaths_in_treatment', 'died_in_period', 'count'),
        ('tx_long_term', 'is_long_term', 'proportion'),
    ] %}
    {% set denominator = 'count(*)' if unit == 'proportion' else 'null' %}
    union all
    {{ treatment_counts(
        'profiles', code, 'sum(case when ' ~ flag ~ ' then 1 else 0 end)', denominator,
        breakdowns=['all', 'substance_group']
    ) }}
    {% endfor %}
    {% for code, flag in [('tx_club_drugs', 'cites_club_drug'), ('tx_pom_otc', 'cites_pom_otc')] %}
    union all
    {{ treatment_counts(
        'profiles', code, 'sum(case when ' ~ flag ~ ' then 1 else 0 end)', 'count(*)'
    ) }}
    {% endfor %}

    {# blood-borne viruses: persons who ever injected #}
    union all
    {{ indicator_counts(
        'injectors', 'tx_hcv_tested', 'all', "'all'",
        'sum(case when is_hcv_tested then 1 else 0 end)', 'count(*)', where='is_hcv_eligible'
    ) }}
    union all
    {{ indicator_counts(
        'injectors', 'tx_hcv_tested', 'injecting_status', 'injecting_status',
        'sum(case when is_hcv_tested then 1 else 0 end)', 'count(*)', where='is_hcv_eligible'
    ) }}
    union all
    {{ indicator_counts(
        'injectors', 'tx_hbv_vaccinated', 'all', "'all'",
        'sum(case when is_hbv_started then 1 else 0 end)', 'count(*)'
    ) }}
    union all
    {{ indicator_counts(
        'injectors', 'tx_hbv_vaccinated', 'course_stage', "'completed_or_immune'",
        'sum(case when is_hbv_completed_or_immune then 1 else 0 end)', 'count(*)'
    ) }}

)

select * from counts
