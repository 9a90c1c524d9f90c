{#- domain (Methods): comparison with a comparator (England benchmark, or the region): the
    indicator is significantly higher when the comparator lies below its 95% interval, lower when
    above, similar when inside. The interval is closed: a comparator exactly equal to a bound is
    inside, so 'similar' (Fingertips' convention: "significantly different" needs the comparator
    outside the interval). Polarity turns higher/lower into a judgement:
        higher_is_better -> better / similar / worse     (e.g. successful completions)
        lower_is_better  -> better / similar / worse     (e.g. early unplanned exits)
        no_judgement     -> higher / similar / lower     (Fingertips' wording for no polarity)
        not_applicable, null or anything else -> not_compared
    A null value, bound or comparator also gives not_compared.
    polarity is either one of those names (fixed at compile time) or a SQL expression giving one
    per row, e.g. a column of an indicator reference table. -#}
{% macro comparison(value, lower, upper, comparator_value, polarity) -%}
    {%- set judgements = {
        'higher_is_better': ('better', 'worse'),
        'lower_is_better': ('worse', 'better'),
        'no_judgement': ('higher', 'lower'),
    } -%}
    {%- if polarity == 'not_applicable' -%}
        'not_compared'
    {%- else -%}
        {%- if polarity in judgements -%}
            {%- set compared = none -%}
            {%- set if_higher = "'" ~ judgements[polarity][0] ~ "'" -%}
            {%- set if_lower = "'" ~ judgements[polarity][1] ~ "'" -%}
        {%- else -%}
            {%- set compared = 'coalesce(' ~ polarity ~ " in ('" ~ judgements.keys() | join("', '") ~ "'), false)" -%}
            {%- set whens = [] -%}
            {%- for name, pair in judgements.items() -%}
                {%- do whens.append("when '" ~ name ~ "' then '" ~ pair[0] ~ "'") -%}
            {%- endfor -%}
            {%- set if_higher = 'case ' ~ polarity ~ ' ' ~ whens | join(' ') ~ ' end' -%}
            {%- set whens = [] -%}
            {%- for name, pair in judgements.items() -%}
                {%- do whens.append("when '" ~ name ~ "' then '" ~ pair[1] ~ "'") -%}
            {%- endfor -%}
            {%- set if_lower = 'case ' ~ polarity ~ ' ' ~ whens | join(' ') ~ ' end' -%}
        {%- endif -%}
    (case
        when {{ value }} is null
            or {{ lower }} is null
            or {{ upper }} is null
            or {{ comparator_value }} is null
            {%- if compared %}
            or not {{ compared }}
            {%- endif %}
            then 'not_compared'
        when {{ comparator_value }} < {{ lower }} then {{ if_higher }}
        when {{ comparator_value }} > {{ upper }} then {{ if_lower }}
        else 'similar'
    end)
    {%- endif -%}
{%- endmacro %}
