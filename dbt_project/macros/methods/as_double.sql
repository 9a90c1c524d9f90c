{#- The methods compute in double precision: integer counts must not divide as integers
    (PostgreSQL) and dbt.type_float() is single precision on DuckDB. -#}
{% macro as_double(expression) -%}
    {{ return(adapter.dispatch('as_double', 'smw')(expression)) }}
{%- endmacro %}

{% macro default__as_double(expression) -%}
    cast({{ expression }} as double precision)
{%- endmacro %}

{% macro spark__as_double(expression) -%}
    cast({{ expression }} as double)
{%- endmacro %}

{#- The double-precision type name, for casts written out in models and contracts. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'smw')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
