{#- Sources on Spark. Landing writes raw tables into DuckDB, and for a Spark build
    orchestration/lib/spark.py exports them as Parquet, one folder per source, under
    SMW_SPARK_RAW_LOCATION (a local folder in local mode; a storage URI such as
    s3://bucket/smw/raw or abfss://... on a cluster). Before anything runs, this hook registers
    each folder as the external table <schema>.<identifier> of its dbt source, so source()
    means the same relation on every engine. Dropping an external table leaves its files. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'smw')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    {#- DuckDB (and PostgreSQL): landing writes the raw schema directly. -#}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set location = env_var('SMW_SPARK_RAW_LOCATION', '') | trim -%}
        {%- if not location -%}
            {{ exceptions.raise_compiler_error(
                "SMW_SPARK_RAW_LOCATION is not set: it must name the folder (or storage URI) "
                ~ "holding the raw Parquet export, one sub-folder per source "
                ~ "(smw build --engine spark sets it)") }}
        {%- endif -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create schema if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ " using parquet location '"
                ~ location.rstrip('/') ~ '/' ~ source.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
