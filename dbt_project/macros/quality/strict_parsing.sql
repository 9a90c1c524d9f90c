{#- Strict typing of whole numbers and numbers (extract spec: "integer", "number"). A safe cast
    alone is not enough: DuckDB's try_cast('12.5' as bigint) rounds to 13, and '1_000', '1e3'
    and '0x10' cast too. The text must have the shape first; anything else is null in staging
    and a row problem (not_a_whole_number / not_a_number) in marts.fct_row_problems. -#}

{% macro whole_number_pattern() -%}
    [+-]?[0-9]+
{%- endmacro %}

{% macro decimal_number_pattern() -%}
    [+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?
{%- endmacro %}

{#- extract spec: dates are YYYY-MM-DD or DD/MM/YYYY. A value of that shape that does not
    parse is no such date (2021-02-30); any other shape is malformed. -#}
{% macro date_shape_pattern() -%}
    ([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4})
{%- endmacro %}

{#- issue 22: a value above the column's plausible maximum (the `max` of its rule in
    staging_checks, the project's copy of the extract spec's ranges) is null in staging, like an
    unparseable value: it reaches no sum (9223372036854775807 needles would overflow one; an
    estimate of 1e309 is infinite) and marts.fct_row_problems reports it as out_of_range, naming
    file, record and field. The minimum is reported there too but not applied here (counts
    already leave out negatives). -#}
{% macro spec_max(column) -%}
    {%- set model_name = model.name if model is defined and model.name is defined else '' -%}
    {%- if model is defined and model.tested_node_unique_id is defined and model.tested_node_unique_id -%}
        {#- a dbt unit test: the rule is the tested model's -#}
        {%- set model_name = model.tested_node_unique_id.split('.')[-1] -%}
    {%- endif -%}
    {%- if model_name.startswith('base_') -%}
        {#- a base model types its source's columns for the staging model: the same rules -#}
        {%- set model_name = model_name.replace('base_', 'stg_', 1) -%}
    {%- endif -%}
    {%- set rule = smw.staging_checks().get(model_name, {}).get('columns', {}).get(column, {}) -%}
    {{ return(rule.get('max')) }}
{%- endmacro %}

{% macro within_max(value, column) -%}
    {%- set maximum = smw.spec_max(column) -%}
    {%- if maximum is none -%}
        {{ value }}
    {%- else -%}
        case when {{ value }} <= {{ maximum }} then {{ value }} end
    {%- endif -%}
{%- endmacro %}

{% macro parse_whole_number(column) -%}
    case
        when {{ smw.matches_pattern("trim(" ~ column ~ ")", smw.whole_number_pattern()) }}
            then {{ smw.within_max(smw.cast_whole_number("trim(" ~ column ~ ")"), column) }}
    end
{%- endmacro %}

{% macro parse_decimal_number(column) -%}
    case
        when {{ smw.matches_pattern("trim(" ~ column ~ ")", smw.decimal_number_pattern()) }}
            then {{ smw.within_max(smw.finite_or_null(smw.cast_decimal_number("trim(" ~ column ~ ")")), column) }}
    end
{%- endmacro %}

{#- issue 22: a decimal beyond double range casts to +-infinity (-1e309 would pass a maximum):
    nothing non-finite is kept. NaN compares above every number on DuckDB, PostgreSQL and Spark,
    so it fails the test too (the shape already refuses the words inf, nan, Infinity). -#}
{% macro finite_or_null(value) -%}
    case when abs({{ value }}) <= 1.7976931348623157e308 then {{ value }} end
{%- endmacro %}

{#- The cast of text already of the right shape: null when a whole number does not fit a bigint;
    a decimal beyond double range is +-infinity and one below it 0 (DuckDB's try_cast). -#}
{% macro cast_whole_number(text) -%}
    {{ return(adapter.dispatch('cast_whole_number', 'smw')(text)) }}
{%- endmacro %}

{% macro default__cast_whole_number(text) -%}
    {{ dbt.safe_cast(text, api.Column.translate_type("bigint")) }}
{%- endmacro %}

{#- DuckDB's and Spark's (ANSI) cast raise on a whole number beyond bigint (a 20-digit value
    would stop every build): try_cast gives null, reported as out_of_range. -#}
{% macro duckdb__cast_whole_number(text) -%}
    try_cast({{ text }} as bigint)
{%- endmacro %}

{% macro spark__cast_whole_number(text) -%}
    try_cast({{ text }} as bigint)
{%- endmacro %}

{#- PostgreSQL's cast raises instead of giving null: go through numeric, which holds any such text. -#}
{% macro postgres__cast_whole_number(text) -%}
    case
        when cast({{ text }} as numeric) between -9223372036854775808 and 9223372036854775807
            then cast(cast({{ text }} as numeric) as bigint)
    end
{%- endmacro %}

{% macro cast_decimal_number(text) -%}
    {{ return(adapter.dispatch('cast_decimal_number', 'smw')(text)) }}
{%- endmacro %}

{% macro default__cast_decimal_number(text) -%}
    {{ dbt.safe_cast(text, smw.type_double()) }}
{%- endmacro %}

{% macro postgres__cast_decimal_number(text) -%}
    case
        when abs(cast({{ text }} as numeric)) > 1.7976931348623157e308
            then sign(cast({{ text }} as numeric)) * cast('Infinity' as double precision)
        when abs(cast({{ text }} as numeric)) < 2.2250738585072014e-308
            then cast(0 as double precision)
        else cast(cast({{ text }} as numeric) as double precision)
    end
{%- endmacro %}

{#- extract spec (dip_contacts.drugs_used): a ';'-separated list of codes from one code list.
    True when any element (an empty one too) is not in the list, compared case-insensitively. -#}
{% macro has_unknown_list_code(column, code_list, separator=';') -%}
    {{ return(adapter.dispatch('has_unknown_list_code', 'smw')(column, code_list, separator)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL: one row per element of the list (list_items.code), each compared with
    the code list in a correlated subquery; only the way a list becomes rows differs
    (list_item_rows). -#}
{% macro default__has_unknown_list_code(column, code_list, separator) -%}
    coalesce(
        (
            select count(*) > 0
            from {{ smw.list_item_rows(column, separator) }}
            where not exists (
                select 1
                from {{ ref('code_lists') }} as code_list_entry
                where
                    code_list_entry.code_list = '{{ code_list }}'
                    and lower(code_list_entry.code) = lower(trim(list_items.code))
            )
        ),
        false
    )
{%- endmacro %}

{#- A FROM item with one row per element of a separated list: list_items(code), empty elements
    included. (Spark's has_unknown_list_code does not use it: Spark rejects the correlated
    subquery around it; its variant is here for any uncorrelated use. Its split() takes a
    regular expression: ';' means itself.) -#}
{% macro list_item_rows(column, separator) -%}
    {{ return(adapter.dispatch('list_item_rows', 'smw')(column, separator)) }}
{%- endmacro %}

{% macro default__list_item_rows(column, separator) -%}
    (
        select unnest(string_split({{ column }}, '{{ separator }}')) as code
    ) as list_items
{%- endmacro %}

{% macro postgres__list_item_rows(column, separator) -%}
    unnest(string_to_array({{ column }}, '{{ separator }}')) as list_items (code)
{%- endmacro %}

{% macro spark__list_item_rows(column, separator) -%}
    (
        select explode(split({{ column }}, '{{ separator }}')) as code
    ) as list_items
{%- endmacro %}

{#- Spark rejects a correlated subquery over an exploded list, so the list's elements are
    compared with the whole code list at once: what is left after removing the known codes
    (array_except) is unknown. split() keeps empty elements, as the other engines do; its
    separator is a regular expression (';' means itself). -#}
{% macro spark__has_unknown_list_code(column, code_list, separator) -%}
    coalesce(
        size(array_except(
            transform(split({{ column }}, '{{ separator }}'), list_item -> lower(trim(list_item))),
            (
                select collect_set(lower(code_list_entry.code))
                from {{ ref('code_lists') }} as code_list_entry
                where code_list_entry.code_list = '{{ code_list }}'
            )
        )) > 0,
        false
    )
{%- endmacro %}
