{#- The prevalence estimates aged 15-64 of each rolled-up region: its local authorities'
    estimates summed, by period and drug group (domain: a region's prevalence is the sum of its
    areas' estimates), in the periods the region is rolled up (join_rolled_up_region). The one
    place fct_indicator_values (estimate and its 95% bounds) and fct_indicator_counts_needs
    (the ocu estimate behind the region's not_known ring) take it from (issue 20).
    areas_alias is the caller's CTE of area rows (area_code, area_type, parent_code); measures
    are the estimate columns summed, each keeping its name. -#}
{% macro region_prevalence_estimates(areas_alias='areas', measures=['estimate']) -%}
    select
        {{ areas_alias }}.parent_code as area_code,
        prevalence.period,
        prevalence.drug_group,
        {%- for measure in measures %}
        sum(prevalence.{{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_reference__prevalence_estimates') }} as prevalence
    inner join {{ areas_alias }}
        on
            prevalence.la_code = {{ areas_alias }}.area_code
            and {{ areas_alias }}.area_type = 'la'
    {{ join_rolled_up_region(areas_alias, 'prevalence.period') }}
    where prevalence.age_band = '15-64'
    group by {{ areas_alias }}.parent_code, prevalence.period, prevalence.drug_group
{%- endmacro %}
