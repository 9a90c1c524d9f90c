{#- domain (Disclosure control): every count cell with its primary suppression (counts in the
    policy's range: under5 = 1-4, nhs_1to7 = 1-7; zero is never suppressed) and the secondary
    suppression that stops it being recovered by subtraction from a published total (which
    prefers complements such as sex not known to named groups, is_complement_breakdown). -#}
with

cells as (

    select
        cell_id,
        max(cell_count) as cell_count,
        max(case when {{ is_complement_breakdown('breakdown') }} then 1 else 0 end)
        = 1 as is_complement
    from {{ ref('fct_indicator_value_cells') }}
    group by cell_id

),

flagged as (

    select
        cell_id,
        cell_count,
        is_complement,
        coalesce({{ is_primary_suppressed('cell_count') }}, false) as is_primary_suppressed
    from cells

),

members as (

    select * from {{ ref('fct_disclosure_group_members') }}

),

suppressed as (

    {{ secondary_suppression('flagged', 'members') }}

)

select
    flagged.cell_id,
    flagged.cell_count,
    flagged.is_primary_suppressed,
    flagged.is_complement,
    suppressed.is_suppressed,
    suppressed.suppression_round,
    case
        when flagged.is_primary_suppressed then 'primary'
        when suppressed.is_suppressed then 'secondary'
    end as suppression,
    '{{ var("disclosure_policy") }}' as disclosure_policy
from flagged
inner join suppressed
    on flagged.cell_id = suppressed.cell_id
