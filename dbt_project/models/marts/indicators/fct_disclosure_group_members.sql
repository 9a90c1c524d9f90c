{#- domain (Disclosure control): the groups of cells whose sum is published as a total, within
    which a suppressed cell could be recovered by subtraction:
    - across areas: the local authorities of one region (the areas seed's parent_code), with
      the region as total. The region is part of the group: an authority of another region
      (Leicestershire, East Midlands) is not part of the North West total, so it neither
      protects a North West cell nor makes one recoverable; a region that is not rolled up
      (join_rolled_up_region: one authority) has no total, so its group is never exposed;
    - across a breakdown: the slices of an area's count (drug-treatment substance groups, sex,
      age bands, IMS cohorts, DIP routes, intervention categories and the DIP profile's
      breakdowns: additive_breakdown_types) with the area's 'all' count as total; an IMS
      cohort's age bands have the cohort's size as total;
    - across a nested breakdown ('parent|child', nested_breakdown_types): the children of one
      parent with the parent slice as total (route codes within a route group, substances within
      a cohort, alcohol bands within a sex) and, for a two-way table with both margins published
      (sex by age band), the slices of one age band with the age band as total;
    - the DIP funnel: taken onto the caseload and not taken on, with further intervention
      required as total;
    - the treatment bullseye's rings, with the OCU prevalence estimate (prev_rate's numerator)
      as total;
    - people in treatment by substance group, alcohol only included, with everyone in
      treatment with a known group (tx_substance_group_share's denominator) as total; people in
      drug treatment by sex, with those of known sex (tx_sex_share's denominator) as total;
      urgent and housing problems with any problem as total, and any problem and no problem with
      those recorded as total (tx_housing_share); a provider's persons in treatment by substance group, with its persons in
      treatment as total;
    - the quarters of a financial year, with the year (or the year to date) as total.
    Breakdowns that are not complete partitions (sex leaves out I and U; alcohol only is outside
    drug treatment; NSP cohorts leave out unlinked visits) are still treated as additive: treating
    a near-partition as exact can only suppress more. England is published by others and is not
    part of any group here. -#}
with

value_cells as (

    select * from {{ ref('fct_indicator_value_cells') }}

),

areas as (

    select area_code, parent_code from {{ ref('areas') }}

),

cells as (

    select distinct
        value_cells.cell_id,
        value_cells.quantity,
        value_cells.period,
        value_cells.area_code,
        value_cells.area_type,
        value_cells.breakdown_type,
        value_cells.breakdown,
        {# an authority missing from the seed has no region, so no published total either #}
        case
            when value_cells.area_type = 'region' then value_cells.area_code
            else coalesce(areas.parent_code, 'no_region:' || value_cells.area_code)
        end as region_code
    from value_cells
    left join areas
        on value_cells.area_code = areas.area_code
    where value_cells.area_type in ('la', 'region')

),

area_groups as (

    select
        'area|'
        || region_code
        || '|'
        || quantity
        || '|'
        || period
        || '|'
        || breakdown_type
        || '|'
        || breakdown as group_id,
        cell_id,
        area_type = 'region' as is_total
    from cells

),

breakdown_members as (

    select
        'breakdown|'
        || quantity
        || '|'
        || period
        || '|'
        || area_code
        || '|'
        || breakdown_type as group_id,
        cell_id,
        false as is_total,
        quantity || '|' || period || '|' || area_code || '|all|all' as total_cell_id
    from cells
    where
        breakdown_type in (
            {%- for additive_type in additive_breakdown_types() %}
            '{{ additive_type }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
        and not (breakdown_type = 'substance_group' and breakdown = 'alcohol_only')

    union all

    select
        'breakdown|'
        || quantity
        || '|'
        || period
        || '|'
        || area_code
        || '|cohort='
        || {{ dbt.split_part('breakdown', "'|'", 1) }} as group_id,
        cell_id,
        false as is_total,
        'ims_people|'
        || period
        || '|'
        || area_code
        || '|cohort|'
        || {{ dbt.split_part('breakdown', "'|'", 1) }} as total_cell_id
    from cells
    where breakdown_type = 'cohort_age_band'
    {%- for nested_type, parents in nested_breakdown_types().items() %}
    {%- for position in [1, 2] %}
    {%- set parent_type = parents[position - 1] %}
    {%- if parent_type %}

    union all

    {# the slices sharing this part add up to its parent slice #}
    select
        'breakdown|'
        || quantity
        || '|'
        || period
        || '|'
        || area_code
        || '|{{ nested_type }}|{{ parent_type }}='
        || {{ dbt.split_part('breakdown', "'|'", position) }} as group_id,
        cell_id,
        false as is_total,
        quantity
        || '|'
        || period
        || '|'
        || area_code
        || '|{{ parent_type }}|'
        || {{ dbt.split_part('breakdown', "'|'", position) }} as total_cell_id
    from cells
    where breakdown_type = '{{ nested_type }}'
    {%- endif %}
    {%- endfor %}
    {%- endfor %}

    {#- groups whose total is one fixed cell of the same period and area, in this order:
        - domain (DIP funnel): those requiring further intervention are either taken onto the
          caseload or not, and both counts are published;
        - domain (treatment bullseye): the four rings add up to the OCU prevalence estimate,
          which prev_rate publishes (unless the known rings exceed it: treating that as exact
          can only suppress more);
        - the four substance groups (drug treatment and alcohol only) add up to everyone in
          treatment with a known group, the denominator of tx_substance_group_share;
        - people in drug treatment by sex add up to those with sex recorded, tx_sex_share's
          denominator;
        - accommodation need: urgent and housing problems add up to any problem
          (accommodation_problem), which with no problem adds up to those recorded.
        The group is '<group>|' (then the cell's quantity when per_quantity) period|area; its
        total the cell '<total_quantity>|period|area|<total_slice>' (the cell's own quantity
        when total_quantity is none). -#}
    {%- set fixed_total_groups = [
        {
            'group': 'stage|dip_further_required', 'per_quantity': false,
            'total_quantity': 'dip_further_required', 'total_slice': 'all|all',
            'where': "quantity in ('dip_caseload', 'dip_not_taken_on') and breakdown_type = 'all'",
        },
        {
            'group': 'rings', 'per_quantity': false,
            'total_quantity': 'prevalence_estimate', 'total_slice': 'drug_group|ocu',
            'where': "quantity = 'bullseye_people' and breakdown_type = 'ring'",
        },
        {
            'group': 'all_groups', 'per_quantity': false,
            'total_quantity': 'tx_people_known_group', 'total_slice': 'all|all',
            'where': "quantity = 'tx_people' and breakdown_type = 'substance_group'",
        },
        {
            'group': 'known_sex', 'per_quantity': false,
            'total_quantity': 'tx_people_known_sex', 'total_slice': 'all|all',
            'where': "quantity = 'tx_people' and breakdown_type = 'sex'",
        },
        {
            'group': 'any_problem', 'per_quantity': true,
            'total_quantity': none, 'total_slice': 'accommodation_problem|any_problem',
            'where': "breakdown_type = 'accommodation_need'
                and breakdown in ('urgent_problem', 'housing_problem')",
        },
        {
            'group': 'problem_or_not', 'per_quantity': true,
            'total_quantity': none, 'total_slice': 'all|all',
            'where': "(breakdown_type = 'accommodation_problem' and breakdown = 'any_problem')
                or (breakdown_type = 'accommodation_need' and breakdown = 'no_problem')",
        },
    ] %}
    {%- for fixed in fixed_total_groups %}

    union all

    {%- set quantity_part = " || quantity || '|'" if fixed.per_quantity else '' %}
    select
        '{{ fixed.group }}|'{{ quantity_part }} || period || '|' || area_code as group_id,
        cell_id,
        false as is_total,
        {{ "'" ~ fixed.total_quantity ~ "|'" if fixed.total_quantity else "quantity || '|'" }}
        || period || '|' || area_code || '|{{ fixed.total_slice }}' as total_cell_id
    from cells
    where {{ fixed.where }}
    {%- endfor %}

    union all

    {# provider flows: persons in treatment by substance group add up to persons in treatment #}
    select
        'provider_mix|'
        || period
        || '|'
        || area_code
        || '|'
        || {{ dbt.split_part('breakdown', "'|'", 1) }} as group_id,
        cell_id,
        false as is_total,
        'provider_flows|'
        || period
        || '|'
        || area_code
        || '|provider_measure|'
        || {{ dbt.split_part('breakdown', "'|'", 1) }}         || '|in_treatment'
            as total_cell_id
    from cells
    where quantity = 'provider_flows' and breakdown like '%|in_treatment_%'

    union all

    {# domain (Periods): a year's quarters add up to the year (visits, needles, contacts; people
       are counted once a year, so for them this can only suppress more) #}
    {%- set year_cell_id -%}
        cells.quantity || '|' || periods.financial_year || '|' || cells.area_code
        || '|' || cells.breakdown_type || '|' || cells.breakdown
    {%- endset %}
    select
        'quarters|' || {{ year_cell_id }} as group_id,
        cells.cell_id,
        false as is_total,
        {{ year_cell_id }} as total_cell_id
    from cells
    inner join {{ ref('dim_reporting_periods') }} as periods
        on cells.period = periods.period and periods.period_type = 'quarter'

),

breakdown_totals as (

    select distinct
        breakdown_members.group_id,
        breakdown_members.total_cell_id as cell_id,
        true as is_total
    from breakdown_members
    inner join cells
        on breakdown_members.total_cell_id = cells.cell_id

),

members as (

    select group_id, cell_id, is_total from area_groups
    union all
    select group_id, cell_id, is_total from breakdown_members
    union all
    select group_id, cell_id, is_total from breakdown_totals

)

select
    group_id || '#' || cell_id as group_member_id,
    group_id,
    cell_id,
    is_total
from members
