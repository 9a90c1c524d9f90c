{#- Safe parsing of raw text. Raw keeps every value as sent; staging types it here. A value that
    does not parse becomes null (and is reported as a row problem), never an error. -#}

{#- extract spec: dates are YYYY-MM-DD or UK DD/MM/YYYY; anything else is a row error. -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'smw')(column)) }}
{%- endmacro %}

{% macro default__parse_date(column) -%}
    case
        when length(trim({{ column }})) = 10
            then coalesce(
                cast(try_strptime(trim({{ column }}), '%Y-%m-%d') as date),
                cast(try_strptime(trim({{ column }}), '%d/%m/%Y') as date)
            )
    end
{%- endmacro %}

{#- PostgreSQL has no safe date parser (to_date raises on 2021-02-30): the shape is checked
    first, then the day against the month's length, and only a real date is built. -#}
{% macro postgres__parse_date(column) -%}
    {%- set value = 'trim(' ~ column ~ ')' -%}
    case
        when {{ smw.matches_pattern(value, '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then {{ smw.postgres__date_from_parts(
                'substring(' ~ value ~ ', 1, 4)', 'substring(' ~ value ~ ', 6, 2)', 'substring(' ~ value ~ ', 9, 2)'
            ) }}
        when {{ smw.matches_pattern(value, '[0-9]{2}/[0-9]{2}/[0-9]{4}') }}
            then {{ smw.postgres__date_from_parts(
                'substring(' ~ value ~ ', 7, 4)', 'substring(' ~ value ~ ', 4, 2)', 'substring(' ~ value ~ ', 1, 2)'
            ) }}
    end
{%- endmacro %}

{#- A date from year, month and day digits, or null when there is no such day. -#}
{% macro postgres__date_from_parts(year_text, month_text, day_text) -%}
    {%- set y = 'cast(' ~ year_text ~ ' as integer)' -%}
    {%- set m = 'cast(' ~ month_text ~ ' as integer)' -%}
    {%- set d = 'cast(' ~ day_text ~ ' as integer)' -%}
    case
        when {{ y }} >= 1 and {{ m }} between 1 and 12 and {{ d }} >= 1
            and {{ d }} <= extract(day from make_date({{ y }}, {{ m }}, 1) + interval '1 month' - interval '1 day')
            then make_date({{ y }}, {{ m }}, {{ d }})
    end
{%- endmacro %}

{#- Spark: to_date gives null for text that is not such a date (dbt-spark runs with ANSI mode
    off; the profile asks for the strict, non-legacy date parser). -#}
{% macro spark__parse_date(column) -%}
    case
        when length(trim({{ column }})) = 10
            then coalesce(
                to_date(trim({{ column }}), 'yyyy-MM-dd'),
                to_date(trim({{ column }}), 'dd/MM/yyyy')
            )
    end
{%- endmacro %}

{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- extract spec: code values match case-insensitively, ignoring surrounding spaces; an unknown
    code is kept as 'unknown' (counted by data quality), a blank one is null. -#}
{% macro normalise_code(column, code_list) -%}
    {{ return(adapter.dispatch('normalise_code', 'smw')(column, code_list)) }}
{%- endmacro %}

{% macro default__normalise_code(column, code_list) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        else coalesce(
            (
                select max(code_list_entry.code)
                from {{ ref('code_lists') }} as code_list_entry
                where
                    code_list_entry.code_list = '{{ code_list }}'
                    and lower(code_list_entry.code) = lower(trim({{ column }}))
            ),
            'unknown'
        )
    end
{%- endmacro %}

{#- DuckDB: the code list is looked up in a map built once by an uncorrelated subquery, as on
    Spark: a correlated subquery per code column made DuckDB hold every row of the staging
    model's source to join it back (2.8 GB for the NSP transactions at scale 10), so that a
    filter on _load_id over a base model (smw.staging_versions) did not reach the scan of raw. -#}
{% macro duckdb__normalise_code(column, code_list) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        else coalesce(
            (
                select map(list(code_entry.code_key), list(code_entry.code))
                from (
                    select lower(code_list_entry.code) as code_key, max(code_list_entry.code) as code
                    from {{ ref('code_lists') }} as code_list_entry
                    where code_list_entry.code_list = '{{ code_list }}'
                    group by lower(code_list_entry.code)
                ) as code_entry
            )[lower(trim({{ column }}))],
            'unknown'
        )
    end
{%- endmacro %}

{#- Spark: a correlated subquery per code column (a dozen in one staging model) makes Spark's
    optimiser run out of memory, so the code list is looked up in a map built once by an
    uncorrelated subquery (lower-cased code -> the list's spelling; max as on the other
    engines when two spellings differ only in case). -#}
{% macro spark__normalise_code(column, code_list) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        else coalesce(
            element_at(
                (
                    select map_from_entries(collect_list(struct(code_entry.code_key, code_entry.code)))
                    from (
                        select lower(code_list_entry.code) as code_key, max(code_list_entry.code) as code
                        from {{ ref('code_lists') }} as code_list_entry
                        where code_list_entry.code_list = '{{ code_list }}'
                        group by lower(code_list_entry.code)
                    ) as code_entry
                ),
                lower(trim({{ column }}))
            ),
            'unknown'
        )
    end
{%- endmacro %}

{#- ONS local authority codes, upper-cased: unitary authorities (E06), districts (E07),
    metropolitan districts (E08), London boroughs (E09) and counties (E10), + six digits. -#}
{% macro normalise_la_code(column) -%}
    case
        when nullif(trim({{ column }}), '') is null then null
        when {{ smw.matches_pattern("upper(trim(" ~ column ~ "))", "E(0[6-9]|10)[0-9]{6}") }}
            then upper(trim({{ column }}))
        else 'unknown'
    end
{%- endmacro %}

{% macro matches_pattern(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'smw')(expression, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__matches_pattern(expression, pattern) -%}
    ({{ expression }} ~ '^{{ pattern }}$')
{%- endmacro %}

{% macro spark__matches_pattern(expression, pattern) -%}
    ({{ expression }} rlike '^{{ pattern }}$')
{%- endmacro %}

{#- Keep the latest version of each record: the latest file wins, and within a file the later
    row (extract spec: a record re-sent in a later file replaces the earlier version). -#}
{% macro latest_record(relation, key_columns) -%}
    {{ smw.top_row_per_group(relation, key_columns | join(', '), '_load_id desc, _row_number desc') }}
{%- endmacro %}
