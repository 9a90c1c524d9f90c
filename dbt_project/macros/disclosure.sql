{#- domain (Disclosure control): primary suppression. A count in the policy's suppressed range is
    published as null with its row flagged; zero is never suppressed. Policies:
    under5   - counts 1-4 suppressed (the source documents' rule; the default)
    nhs_1to7 - counts 1-7 suppressed, the rest rounded to the nearest 5 -#}
{% macro is_primary_suppressed(count_column, policy=none) -%}
    {%- set policy = policy or var('disclosure_policy') -%}
    {%- if policy == 'under5' -%}
        ({{ count_column }} between 1 and 4)
    {%- elif policy == 'nhs_1to7' -%}
        ({{ count_column }} between 1 and 7)
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown disclosure policy: " ~ policy) }}
    {%- endif -%}
{%- endmacro %}

{% macro published_count(count_column, suppressed_flag, policy=none) -%}
    {%- set policy = policy or var('disclosure_policy') -%}
    case
        when {{ suppressed_flag }} then null
        {%- if policy == 'nhs_1to7' %}
        else cast(round({{ count_column }} / 5.0) * 5 as {{ dbt.type_bigint() }})
        {%- else %}
        else {{ count_column }}
        {%- endif %}
    end
{%- endmacro %}
