{#- domain (Disclosure control; issue 22: free text never leaves the restricted warehouse):
    `transferred_to` is free text typed by a DIP worker ("HMP Liverpool", "Sefton CJIT", or, by
    accident, a person's name). What is published is only its group: `prison` (HMP, HMYOI, YOI,
    prison, CARAT), `cjit` (CJIT, DIP team, criminal justice (integrated) team), or
    `treatment_service` (treatment, drug/alcohol/recovery service); anything else, a name
    included, is `other`. Null stays null (not transferred). Portable SQL: lower + like. -#}
{% macro transfer_destination_group(column) -%}
    case
        when {{ column }} is null or trim({{ column }}) = '' then null
        when lower({{ column }}) like 'hmp %' or lower({{ column }}) like 'hmp'
            or lower({{ column }}) like 'hmyoi%' or lower({{ column }}) like '% yoi%'
            or lower({{ column }}) like 'yoi %'
            or lower({{ column }}) like '%prison%' or lower({{ column }}) like '%carat%'
            or lower({{ column }}) like 'hm prison%'
            then 'prison'
        when lower({{ column }}) like '%cjit%' or lower({{ column }}) like '%dip team%'
            or lower({{ column }}) like '%criminal justice%'
            then 'cjit'
        when lower({{ column }}) like '%treatment%' or lower({{ column }}) like '%drug service%'
            or lower({{ column }}) like '%alcohol service%' or lower({{ column }}) like '%recovery%'
            then 'treatment_service'
        else 'other'
    end
{%- endmacro %}
