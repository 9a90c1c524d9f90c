{#- domain (tx_club_drugs): the treatment substance codes that are club drugs (NDTMS: ecstasy,
    ketamine, GHB/GBL, mephedrone, methamphetamine and other new psychoactive substances), as a
    quoted SQL list. -#}
{% macro club_drug_codes() -%}
    'ecstasy', 'ketamine', 'ghb_gbl', 'mephedrone', 'methamphetamine', 'nps_other'
{%- endmacro %}

{#- domain (Indicators, second release; the JSNA chapter's presenting substances): the drug
    group a treatment substance code is cited under: opiates (heroin, methadone, other opiates),
    crack, cocaine, amphetamine, cannabis, benzodiazepines, club_drugs (club_drug_codes),
    pom_otc, other; null for alcohol (the chapter's presenting substances are drugs: its
    under-25 cannabis 51, cocaine 30, opiates 18 and club drugs 7, with crack under 5, leave at
    most 6 of its 112 citations, fewer than its non-opiate & alcohol clients' alcohol alone
    would be), an empty code or one staging could not map. -#}
{% macro presenting_drug(code) -%}
    case
        when {{ code }} in ('heroin', 'methadone', 'other_opiates') then 'opiates'
        when {{ code }} in ({{ club_drug_codes() }}) then 'club_drugs'
        when
            {{ code }} in (
                'crack', 'cocaine', 'amphetamine', 'cannabis', 'benzodiazepines', 'pom_otc',
                'other'
            )
            then {{ code }}
    end
{%- endmacro %}

{#- domain (Time: a person's substance group in a period): the highest substance group of the
    person's episodes in the period, opiate > non_opiate_alcohol > non_opiate > alcohol_only.
    substance_group_rank gives an episode's group its rank (4 to 1, 0 for unknown), so that
    max() over a person's episodes picks the highest; substance_group_of_rank turns that rank
    back into the group ('unknown' for 0). Ranks 2 to 4 are drug treatment. -#}
{% macro substance_groups_highest_first() -%}
    {{ return(['opiate', 'non_opiate_alcohol', 'non_opiate', 'alcohol_only']) }}
{%- endmacro %}

{% macro substance_group_rank(substance_group) -%}
    {%- set groups = smw.substance_groups_highest_first() -%}
    case {{ substance_group }}
        {%- for group in groups %}
        when '{{ group }}' then {{ groups | length - loop.index0 }}
        {%- endfor %}
        else 0
    end
{%- endmacro %}

{% macro substance_group_of_rank(rank) -%}
    {%- set groups = smw.substance_groups_highest_first() -%}
    case {{ rank }}
        {%- for group in groups %}
        when {{ groups | length - loop.index0 }} then '{{ group }}'
        {%- endfor %}
        else 'unknown'
    end
{%- endmacro %}
