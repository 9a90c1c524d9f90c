{#- The top row of each group: the rows of `relation` (a CTE or relation name) numbered within
    each `partition_by` group in `order_by` order (SQL text; the order must break every tie, or
    the row kept is arbitrary), and the first kept. `columns`: what is selected of it, SQL text
    or a list (default every column, with the row number as `rank_column`: name it when the
    relation already has a `group_row`, as one ranked by this macro does); `where`: a filter on
    `relation` before it is ranked. A window in a subquery, not `qualify`: DuckDB, PostgreSQL
    and Spark run it alike. -#}
{% macro top_row_per_group(
    relation, partition_by, order_by, columns='*', where=none, rank_column='group_row'
) -%}
    select {{ columns if columns is string else columns | join(', ') }}
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as {{ rank_column }}
        from {{ relation }}
        {%- if where is not none %}
        where {{ where }}
        {%- endif %}
    ) as ranked
    where {{ rank_column }} = 1
{%- endmacro %}
