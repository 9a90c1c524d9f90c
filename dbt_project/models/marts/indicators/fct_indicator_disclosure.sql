{#- One disclosure decision per indicator row: withheld when any of its counts is suppressed
    (primary when one of them is itself small, secondary otherwise). -#}
with

value_cells as (

    select * from {{ ref('fct_indicator_value_cells') }}

),

cells as (

    select * from {{ ref('fct_disclosure_cells') }}

)

select
    value_cells.indicator_value_id,
    max(case when cells.is_suppressed then 1 else 0 end) = 1 as is_suppressed,
    case
        when max(case when cells.is_primary_suppressed then 1 else 0 end) = 1 then 'primary'
        when max(case when cells.is_suppressed then 1 else 0 end) = 1 then 'secondary'
    end as suppression,
    '{{ var("disclosure_policy") }}' as disclosure_policy
from value_cells
inner join cells
    on value_cells.cell_id = cells.cell_id
group by value_cells.indicator_value_id
