{#- domain (DIP activity profile, alcohol): drinking days in the 28 days before assessment, in
    bands that keep the profile's named ones (none; one to four) and then roughly weekly steps up
    to every day. Values outside 0-28 are not recorded (null). -#}
{% macro drinking_days_band(days) -%}
    case
        when {{ days }} is null or {{ days }} < 0 or {{ days }} > 28 then null
        when {{ days }} = 0 then 'none'
        when {{ days }} <= 4 then '1-4'
        when {{ days }} <= 8 then '5-8'
        when {{ days }} <= 16 then '9-16'
        when {{ days }} <= 27 then '17-27'
        else '28'
    end
{%- endmacro %}

{#- domain (DIP activity profile, alcohol): average daily units in the 28 days before
    assessment, in the profile's bands: no units, 1-6, 7-15, 16-24, 25 or more. Negative values
    are not recorded (null). -#}
{% macro daily_units_band(units) -%}
    case
        when {{ units }} is null or {{ units }} < 0 then null
        when {{ units }} = 0 then 'none'
        when {{ units }} <= 6 then '1-6'
        when {{ units }} <= 15 then '7-15'
        when {{ units }} <= 24 then '16-24'
        else '25+'
    end
{%- endmacro %}
