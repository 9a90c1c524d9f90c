{#- Row-level problems of one staging model, driven by the checks declared for it in
    smw.staging_checks() (from the extract specification). One candidate row per record and
    checked field; the value class is null when the field is fine. Never selects a value itself:
    only its class.

    Checks (extract spec):
      key / text     blank when required
      code           blank when required (or required_with another field that is present);
                     unknown_code when staging mapped it to 'unknown'
      code_items     unknown_code when any element of the list is not in its code list
      date           blank when required; malformed_date (neither YYYY-MM-DD nor DD/MM/YYYY);
                     no_such_date (right shape, no such day: 2021-02-30); before_<x> when before
                     the not_before field; in_future when after today
      integer/number blank when required; not_a_whole_number / not_a_number; negative when
                     below min (0); out_of_range when above max (or too large to hold)
      period         blank when required; malformed_period (not YYYY-YY)
      attributor     (person-level sources) incomplete_attributor:<missing|invalid>_<part> from
                     landing's attributor_status; staging's birth_month_problem (in_future,
                     after_event, over_110_years_before_event: see smw.birth_month_problem) -#}

{% macro row_problem_checks(declared) -%}
    {%- set checks = [] -%}
    {%- for column_name, rule in declared.columns.items() -%}
        {%- set check = rule.get('check') -%}
        {%- set blank = "'blank'" if rule.get('required') else 'null' -%}
        {%- if check == 'key' -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': "case when " ~ column_name ~ "_text is null then 'blank' end",
                'rule': 'record key, required',
            }) -%}
        {%- elif check == 'text' and rule.get('required') -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': "case when " ~ column_name ~ " is null then 'blank' end",
                'rule': 'text, required',
            }) -%}
        {%- elif check == 'code' -%}
            {%- if rule.get('required_with') -%}
                {%- set blank = "case when " ~ rule.required_with ~ "_text is not null then 'blank' end" -%}
            {%- endif -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': "case when " ~ column_name ~ " is null then " ~ blank
                    ~ " when " ~ column_name ~ " = 'unknown' then 'unknown_code' end",
                'rule': 'code from list ' ~ rule.code_list
                    ~ (', required' if rule.get('required') else '')
                    ~ (', required when ' ~ rule.required_with ~ ' is present' if rule.get('required_with') else ''),
            }) -%}
        {%- elif check == 'code_items' -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': "case when " ~ rule.flag ~ " then 'unknown_code' end",
                'rule': ';-separated codes from list ' ~ rule.code_list,
            }) -%}
        {%- elif check == 'date' -%}
            {%- set text = column_name ~ '_text' -%}
            {%- set sql -%}
                case
                    when {{ text }} is null then {{ blank }}
                    when {{ column_name }} is null then
                        case
                            when {{ smw.matches_pattern(text, smw.date_shape_pattern()) }}
                                then 'no_such_date'
                            else 'malformed_date'
                        end
                    {%- if rule.get('not_before') %}
                    when {{ column_name }} < {{ rule.not_before }}
                        then 'before_{{ rule.not_before | replace("_date", "") }}'
                    {%- endif %}
                    {%- if rule.get('not_in_future') %}
                    when {{ column_name }} > {{ smw.today() }} then 'in_future'
                    {%- endif %}
                end
            {%- endset -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': sql,
                'rule': 'date YYYY-MM-DD or DD/MM/YYYY'
                    ~ (', required' if rule.get('required') else '')
                    ~ (', not before ' ~ rule.not_before if rule.get('not_before') else '')
                    ~ (', not in the future' if rule.get('not_in_future') else ''),
            }) -%}
        {%- elif check in ('integer', 'number') -%}
            {%- set text = column_name ~ '_text' -%}
            {%- set whole = check == 'integer' -%}
            {%- set pattern = smw.whole_number_pattern() if whole else smw.decimal_number_pattern() -%}
            {%- set sql -%}
                case
                    when {{ text }} is null then {{ blank }}
                    when {{ column_name }} is null then
                        case
                            when {{ smw.matches_pattern(text, pattern) }} then 'out_of_range'
                            else '{{ "not_a_whole_number" if whole else "not_a_number" }}'
                        end
                    {%- if rule.get('min') is not none %}
                    when {{ column_name }} < {{ rule.min }}
                        then '{{ "negative" if rule.min == 0 else "out_of_range" }}'
                    {%- endif %}
                    {%- if rule.get('max') is not none %}
                    when {{ column_name }} > {{ rule.max }} then 'out_of_range'
                    {%- endif %}
                end
            {%- endset -%}
            {%- set range_text -%}
                {%- if rule.get('min') is not none and rule.get('max') is not none -%}
                    {{ ' ' ~ rule.min ~ '-' ~ rule.max }}
                {%- elif rule.get('min') is not none -%}
                    {{ ' >= ' ~ rule.min }}
                {%- endif -%}
            {%- endset -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': sql,
                'rule': ('whole number' if whole else 'number') ~ range_text
                    ~ (', required' if rule.get('required') else ''),
            }) -%}
        {%- elif check == 'period' -%}
            {%- do checks.append({
                'field': column_name,
                'value_class': "case when " ~ column_name ~ " is null then " ~ blank
                    ~ " when not " ~ smw.matches_pattern(column_name, "[0-9]{4}-[0-9]{2}")
                    ~ " then 'malformed_period' end",
                'rule': 'financial year YYYY-YY' ~ (', required' if rule.get('required') else ''),
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if declared.get('person_level') -%}
        {%- set event_date = declared.get('event_date') -%}
        {%- for part in ['first_initial', 'surname_initial', 'date_of_birth', 'sex'] -%}
            {%- set sql -%}
                case
                    when attributor_status like '%missing_{{ part }}%'
                        then 'incomplete_attributor:missing_{{ part }}'
                    when attributor_status like '%invalid_{{ part }}%'
                        then 'incomplete_attributor:invalid_{{ part }}'
                    {%- if part == 'date_of_birth' and event_date %}
                    else birth_month_problem
                    {%- endif %}
                end
            {%- endset -%}
            {%- do checks.append({
                'field': part,
                'value_class': sql,
                'rule': 'attributor: ' ~ ('sex M, F, I or U' if part == 'sex' else (
                    'date of birth, not in the future, not after ' ~ event_date
                    ~ ', not more than 110 years before it (the record is rejected)'
                    if part == 'date_of_birth' and event_date
                    else part | replace('_', ' ')))
                    ~ ', required for linkage',
            }) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(checks) }}
{%- endmacro %}


{#- The candidate rows of one staging model (see above). -#}
{% macro row_problem_candidates(model_name, where=none) -%}
    {%- set relation = smw.staged_records(model_name) -%}
    {%- set declared = smw.staging_checks().get(model_name) -%}
    {%- if declared is none -%}
        {{ exceptions.raise_compiler_error(model_name ~ " has no entry in smw.staging_checks()") }}
    {%- endif -%}
    {%- set meta = declared -%}
    {%- set checks = smw.row_problem_checks(declared) -%}
        select
            '{{ meta.source_name }}' as source_name,
            records._load_id as load_id,
            records._file_name as file_name,
            records._row_number as record_number,
            records.{{ meta.record_key }} as record_key,
            checked_fields.field_name,
            case checked_fields.field_name
                {%- for c in checks %}
                when '{{ c.field }}' then {{ c.value_class }}
                {%- endfor %}
            end as value_class,
            case checked_fields.field_name
                {%- for c in checks %}
                when '{{ c.field }}' then '{{ c.rule }}'
                {%- endfor %}
            end as rule
        from {{ relation }} as records
        cross join (
            {%- for c in checks %}
            select '{{ c.field }}' as field_name{% if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as checked_fields
        {%- if where %}
        where {{ where }}
        {%- endif %}
{%- endmacro %}


{#- The kind of problem, from its value class (one vocabulary for every source). -#}
{% macro row_problem_kind(value_class) -%}
    case
        when {{ value_class }} = 'blank' then 'missing_required'
        when {{ value_class }} in ('malformed_date', 'no_such_date') then 'invalid_date'
        when {{ value_class }} in ('not_a_whole_number', 'not_a_number') then 'invalid_number'
        when {{ value_class }} = 'malformed_period' then 'invalid_period'
        when {{ value_class }} = 'negative' then 'negative_count'
        when {{ value_class }} = 'out_of_range' then 'out_of_range'
        when {{ value_class }} = 'unknown_code' then 'unknown_code'
        when {{ value_class }} = 'unknown_episode' then 'unknown_reference'
        when {{ value_class }} like 'before_%' or {{ value_class }} in ('after_event', 'in_future', 'over_110_years_before_event')
            then 'impossible_date'
        when {{ value_class }} like 'incomplete_attributor:%' then 'incomplete_attributor'
    end
{%- endmacro %}


{% macro today() -%}
    {{ return(adapter.dispatch('today', 'smw')()) }}
{%- endmacro %}

{% macro default__today() -%}
    cast({{ dbt.current_timestamp() }} as date)
{%- endmacro %}


{#- issue 22 (domain: People): a date of birth that cannot be true rejects the record. Only the
    birth month reaches the warehouse (landing keeps no full date of birth), so the checks are
    made on months: 'after_event' when the birth month is after the month of the record's event,
    'in_future' when it is after the current month (a record whose event date is unreadable or
    itself in the future), 'over_110_years_before_event' when it is more than 110 years (1,320
    months) before the event's month. A date of birth later in the
    event's own month, or up to a month more than 110 years before it, cannot be told apart and
    is accepted. Staging sets person_id to null on such a record (it is linked to nobody), the
    models that count leave it out, and marts.fct_row_problems reports the class on the field
    date_of_birth. Null when the birth month is unknown. -#}
{% macro birth_month_problem(birth_month, event_date) -%}
    {%- set birth = "(cast(substring(" ~ birth_month ~ ", 1, 4) as integer) * 12 + cast(substring("
        ~ birth_month ~ ", 6, 2) as integer))" -%}
    {%- set event = "(cast(extract(year from " ~ event_date ~ ") as integer) * 12 + cast(extract(month from "
        ~ event_date ~ ") as integer))" -%}
    {%- set today = smw.today() -%}
    {%- set now = "(cast(extract(year from " ~ today ~ ") as integer) * 12 + cast(extract(month from "
        ~ today ~ ") as integer))" -%}
    case
        when {{ birth_month }} is null then null
        when {{ birth }} > {{ event }} then 'after_event'
        when {{ birth }} > {{ now }} then 'in_future'
        when {{ event }} - {{ birth }} > 1320 then 'over_110_years_before_event'
    end
{%- endmacro %}


{#- issue 22 (domain: People): the staging step that rejects a record whose date of birth cannot
    be true (after its event, in the future, more than 110 years before the event:
    smw.birth_month_problem). The record stays in staging, so that marts.fct_row_problems reports
    it, but is linked to nobody (staging sets person_id null) and the models that count leave it
    out (birth_month_problem is not null). `event_date` is the raw text column of the event. -#}
{% macro birth_month_checked(relation, event_date) -%}
    select
        *,
        {{ smw.birth_month_problem('birth_month', smw.parse_date(event_date)) }} as birth_month_problem
    from {{ relation }}
{%- endmacro %}


{#- fct_row_problems is incremental for the person-level sources (all accumulated; the staging
    model -> (source name, its accumulated table)): on a build, only their records whose current
    version came in a load above the highest `_through_load_id` are checked; their earlier rows
    are deleted first (pre-hook), as are every other source's rows, which are checked whole (the
    TOP reviews too: their check against the episodes reads every review). A change of the
    checks (the extract specification) needs `smw build --full-refresh`, as for every
    incremental model; so does a date that was in the future when checked (in_future) and no
    longer is: the monthly full refresh re-checks every record. -#}
{% macro row_problems_kept() -%}
    {%- set kept = {} -%}
    {%- for model_name, declared in smw.staging_checks().items() if declared.person_level -%}
        {%- do kept.update({model_name: (
            declared.source_name, smw.accumulated_tables()[model_name]
        )}) -%}
    {%- endfor -%}
    {{ return(kept) }}
{%- endmacro %}


{% macro delete_row_problems_to_recheck() -%}
    {%- if is_incremental() -%}
        {%- set since = smw.incremental_marker_since() -%}
        {%- set kept = smw.row_problems_kept() -%}
        delete from {{ this }}
        {%- if since is not none %}
        where
            source_name not in (
                {%- for source_name, accumulated in kept.values() -%}
                '{{ source_name }}'{% if not loop.last %}, {% endif %}
                {%- endfor -%}
            )
            {%- for model_name, (source_name, accumulated) in kept.items() %}
            or (
                source_name = '{{ source_name }}'
                and record_key in (
                    select {{ smw.staging_checks()[model_name].record_key }}
                    from {{ ref(accumulated) }}
                    where _load_id > {{ since }}
                )
            )
            {%- endfor %}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- The highest load of the accumulated tables, written on each row as `_through_load_id`. -#}
{% macro row_problems_through_load() -%}
    (
        select max(_load_id) from (
            {%- for source_name, accumulated in smw.row_problems_kept().values() %}
            select max(_load_id) as _load_id from {{ ref(accumulated) }}
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        ) as loads
    )
{%- endmacro %}
