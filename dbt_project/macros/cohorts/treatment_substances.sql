{#- domain (tx_club_drugs): the treatment substance codes that are club drugs (NDTMS: ecstasy,
    ketamine, GHB/GBL, mephedrone, methamphetamine and other new psychoactive substances), as a
    quoted SQL list. -#}
{% macro club_drug_codes() -%}
    'ecstasy', 'ketamine', 'ghb_gbl', 'mephedrone', 'methamphetamine', 'nps_other'
{%- endmacro %}
