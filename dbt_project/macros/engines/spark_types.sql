{#- Spark type names. The serving contracts (models/serving/_serving__models.yml) declare
    varchar and double precision, which DuckDB and PostgreSQL take but Spark does not (its
    varchar needs a length; its double is one word). dbt builds a contract's expected schema
    with dbt.cast, so on Spark this override maps those names; the contract then compares the
    types Spark reports for the declared and the built columns, as on the other engines. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ smw.spark_type_name(type) }})
{%- endmacro %}

{% macro spark_type_name(type) -%}
    {%- set name = type | trim | lower -%}
    {%- if name in ('varchar', 'text', 'character varying') -%}
        string
    {%- elif name == 'double precision' -%}
        double
    {%- else -%}
        {{ type }}
    {%- endif -%}
{%- endmacro %}
