{#- domain: a region is rolled up (and is a comparator) only where two or more of its local
    authorities have data in that period (int_region_rollup_years: a mid-year population for the
    period's financial year), not merely two in the areas seed. A one-member region would repeat
    its only area (Leicestershire is the demo's one East Midlands authority; Salford the one
    North West authority, and only in 2006-07 and 2007-08), revealing any cell suppressed in the
    area, and "similar to the region" would compare the area with itself; such an area is
    compared with England where benchmarked and otherwise not compared.
    The join that keeps only rolled-up rows, placed right after the join of the areas seed rows
    (areas_alias) being rolled up to their parent_code; period is the expression of the row's
    period (a financial year, a quarter or a rolling twelve months). A plain join, not a
    subquery in the join condition, which Spark rejects when it references both join inputs. -#}
{% macro join_rolled_up_region(areas_alias='areas', period='period') -%}
    inner join {{ ref('int_region_rollup_years') }} as rollup_years
        on
            {{ areas_alias }}.parent_code = rollup_years.parent_code
            and {{ smw.period_start_year(period) }} = rollup_years.start_year
{%- endmacro %}

{#- The first calendar year of the financial year a period label belongs to: '2007-08' and
    '2007-08 Q3' -> 2007; a rolling twelve months '12m to 2008-03' -> the financial year of its
    last month (2007). -#}
{% macro period_start_year(period) -%}
    case
        when {{ period }} like '12m to %'
            then
                cast(substring({{ period }}, 8, 4) as integer)
                - case when cast(substring({{ period }}, 13, 2) as integer) < 4 then 1 else 0 end
        else cast(substring({{ period }}, 1, 4) as integer)
    end
{%- endmacro %}
