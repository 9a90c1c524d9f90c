{#- domain (tx_club_drugs): the treatment substance codes that are club drugs (NDTMS: ecstasy,
    ketamine, GHB/GBL, mephedrone, methamphetamine and other new psychoactive substances), as a
    quoted SQL list. -#}
{% macro club_drug_codes() -%}
    'ecstasy', 'ketamine', 'ghb_gbl', 'mephedrone', 'methamphetamine', 'nps_other'
{%- endmacro %}

{#- domain (Indicators, second release; the JSNA chapter's presenting substances): the drug
    group a treatment substance code is cited under: opiates (heroin, methadone, other opiates),
    crack, cocaine, amphetamine, cannabis, benzodiazepines, club_drugs (club_drug_codes),
    pom_otc, alcohol, other; null for an empty code or one staging could not map. -#}
{% macro presenting_drug(code) -%}
    case
        when {{ code }} in ('heroin', 'methadone', 'other_opiates') then 'opiates'
        when {{ code }} in ({{ club_drug_codes() }}) then 'club_drugs'
        when
            {{ code }} in (
                'crack', 'cocaine', 'amphetamine', 'cannabis', 'benzodiazepines', 'pom_otc',
                'alcohol', 'other'
            )
            then {{ code }}
    end
{%- endmacro %}
