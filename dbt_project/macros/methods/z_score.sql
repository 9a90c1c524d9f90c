{#- domain (Methods): intervals are at 95% (and 99.8% for PHE-style control limits). The z value
    for a two-sided level 1 - alpha is z = qnorm(1 - alpha / 2), as PHEindicatormethods computes it
    (zscore(), byars_lower(): qnorm(confidence + (1 - confidence) / 2)). SQL has no inverse normal
    function, so the levels in use are constants here (qnorm to double precision); any other level
    is a compile error rather than a silently wrong interval. Levels may be written as fractions
    (0.95) or, as PHE allows, as percentages (95). -#}
{% macro confidence_level(confidence) -%}
    {%- if not smw.is_supported_confidence(confidence) -%}
        {{ exceptions.raise_compiler_error(
            "unsupported confidence level " ~ confidence ~ ": use one of 0.90, 0.95, 0.99, 0.998, 0.999"
        ) }}
    {%- endif -%}
    {{ return(smw.confidence_key(confidence) | float) }}
{%- endmacro %}

{% macro confidence_key(confidence) -%}
    {%- set level = confidence | float -%}
    {{ return('%.4f' | format(level / 100 if level > 1 else level)) }}
{%- endmacro %}

{% macro is_supported_confidence(confidence) -%}
    {{ return(smw.confidence_key(confidence) in smw.z_scores()) }}
{%- endmacro %}

{% macro z_scores() -%}
    {{ return({
        '0.9000': 1.6448536269514722,
        '0.9500': 1.959963984540054,
        '0.9900': 2.5758293035489004,
        '0.9980': 3.090232306167813,
        '0.9990': 3.2905267314919255,
    }) }}
{%- endmacro %}

{#- z = qnorm(1 - alpha / 2) for a supported confidence level, as a number for Jinja arithmetic. -#}
{% macro z_score(confidence) -%}
    {{ return(smw.z_scores()['%.4f' | format(smw.confidence_level(confidence))]) }}
{%- endmacro %}

{#- alpha / 2, the probability in each tail, rounded to remove binary noise (1 - 0.998 is not 0.002). -#}
{% macro tail_probability(confidence) -%}
    {{ return(((1 - smw.confidence_level(confidence)) / 2) | round(10)) }}
{%- endmacro %}
