{#- Models kept per person (issue 19): a build recomputes only the rows of the people whose
    records may have changed since the model was last built, and keeps everyone else's.

    Every row of such a model is a function of one person's records (any source), the agencies
    snapshot and the code lists; `_through_load_id` on each row is the highest load of those
    inputs when it was written. The people to recompute are those with a record version in a
    load above the highest `_through_load_id` here, in any person-level extract, and the people
    those records belonged to before (a re-sent record may move to another person):
    int_person_records_tracked keeps both for every record. A person's rows are deleted first
    (pre-hook) and what the model's query gives for them is appended, so a person who no longer
    qualifies loses their rows. Anything else recomputes everyone: a new agencies snapshot, an
    empty table or one without the marker (an upgrade), `smw build --full-refresh` (the monthly
    schedule, and after `smw rekey`). A change to the code lists or to the models' logic needs
    that full refresh too, as for every incremental model, and so does a record rejected for a
    birth month in the future (smw.birth_month_problem compares with today when the event date
    cannot be read) once that month has come: the monthly full refresh re-checks both. A run of
    some models only must include their inputs (`+model`; `smw build` runs everything): a model
    built on stale accumulated tables would record loads it never read. Spark tables without a
    transactional format cannot delete rows: a plain table there.

    Use: `{{ smw.person_incremental_config() }}` in the model, `{%- set since =
    smw.person_incremental_since() -%}`, `with {{ smw.people_to_rebuild_cte(since) }}` (the
    people, computed once), then `{{ smw.people_to_rebuild_filter(since) }}` on each input read
    per person, and `{{ smw.person_inputs_through_load() }} as _through_load_id` in the final
    select. -#}

{#- (raw table, base model, record key, event date, end columns) of every person-level
    extract: the extracts a person's rows can come from, the models that keep every version of
    their records, the date that places a record in periods (the date it happened or began),
    and for a record that ends later (an episode) the columns of its end, its date first. -#}
{% macro person_level_sources() -%}
    {{ return([
        ('ims_nsp_transactions', 'base_ims__nsp_transactions', 'transaction_id',
            'transaction_date', none),
        ('ims_interventions', 'base_ims__interventions', 'intervention_id',
            'intervention_date', none),
        ('ndtms_episodes', 'base_ndtms__episodes', 'episode_id',
            'referral_date', ('discharge_date', 'discharge_reason')),
        ('dip_contacts', 'base_dip__contacts', 'contact_id', 'contact_date', none),
        ('mdt_results', 'base_mdt__drug_tests', 'test_id', 'test_date', none),
    ]) }}
{%- endmacro %}


{#- For a record with an end (an episode): a hash of its version's columns other than those of
    the end (with the end date as sent) and the load's, so that a version that changed its end
    only can be told from one that changed more. Columns read when the model runs (none while
    dbt parses). -#}
{% macro record_content_hash(base_model, end_columns) -%}
    {%- set skip = ['_load_id', '_file_name', '_row_number', 'has_extra_columns',
        end_columns[0] ~ '_text'] + (end_columns | list) -%}
    {%- set fields = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(ref(base_model)) -%}
            {%- if column.name | lower not in skip -%}
                {%- if fields %}{% do fields.append("'|'") %}{% endif -%}
                {%- do fields.append(
                    "coalesce(cast(" ~ adapter.quote(column.name) ~ " as "
                    ~ dbt.type_string() ~ "), '~')"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if fields -%}
        {{ dbt.hash(dbt.concat(fields)) }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{#- unlinked: the model also keeps records with no person (an incomplete attributor); those
    are recomputed on every build, as they belong to nobody to look for. -#}
{% macro person_incremental_config(unlinked=false) -%}
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ smw.delete_people_to_rebuild(unlinked=" ~ unlinked ~ ") }}",
) }}
{%- endmacro %}


{#- The highest load this model has seen, or none when everyone must be recomputed: not an
    incremental run, no marker, an empty table, agencies sent since, or an index row written
    since by a build that did not start where this model stopped. Every index build after this
    model's last starts from the index's highest load then, which is this model's marker: a
    row with a later load and another starting point means that the index was rebuilt alone
    (its previous people are lost) or moved on more than once (it keeps only each record's
    latest change), or that this model wrote no rows in a build and kept an older marker. -#}
{% macro person_incremental_since() -%}
    {%- set last = smw.incremental_marker_since() -%}
    {%- if last is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) from " ~ ref('int_person_records_tracked') ~ " where _load_id > " ~ last
        ~ " and (_since_load_id <> " ~ last ~ " or source_name = 'ims_agencies')"
    ).columns[0].values()[0] -%}
    {{ return(none if found > 0 else last) }}
{%- endmacro %}


{#- The highest `_through_load_id` of an incremental model kept by marker, or none when it
    must be recomputed whole: not an incremental run, no marker column (an upgrade) or an empty
    table. -#}
{% macro incremental_marker_since() -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- if '_through_load_id' not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query('select max(_through_load_id) from ' ~ this).columns[0].values()[0]) }}
{%- endmacro %}


{#- The people with a record whose latest version came in a load above `since`, and the people
    those records belonged to before it. -#}
{% macro people_touched_since(since) -%}
    {%- set tracked = ref('int_person_records_tracked') %}
    select person_id from {{ tracked }}
    where _load_id > {{ since }} and person_id is not null
    union
    select previous_person_id from {{ tracked }}
    where _load_id > {{ since }} and previous_person_id is not null
{%- endmacro %}


{#- The model's first CTE on an incremental run, `people_to_rebuild` (materialised: the
    inputs read per person all filter on it); nothing when everyone is recomputed. -#}
{% macro people_to_rebuild_cte(since) -%}
    {%- if since is not none -%}
people_to_rebuild as materialized (
    {{ smw.people_touched_since(since) }}
),
    {%- endif -%}
{%- endmacro %}


{#- A where-clause term keeping the rows of the people to recompute (everyone when since is
    none), and with unlinked the rows with no person. In the model it reads the CTE of
    people_to_rebuild_cte; in the pre-hook (from_cte=false) it computes the people itself. -#}
{% macro people_to_rebuild_filter(since, unlinked=false, from_cte=true) -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {%- set people = 'select person_id from people_to_rebuild' if from_cte
            else smw.people_touched_since(since) -%}
        (person_id in ({{ people }}){% if unlinked %} or person_id is null{% endif %})
    {%- endif -%}
{%- endmacro %}


{#- The pre-hook: on an incremental run, delete the rows about to be recomputed. -#}
{% macro delete_people_to_rebuild(unlinked=false) -%}
    {%- if is_incremental() -%}
        {%- set since = smw.person_incremental_since() -%}
        delete from {{ this }}
        where {{ smw.people_to_rebuild_filter(since, unlinked, from_cte=false) }}
    {%- endif -%}
{%- endmacro %}


{#- The highest load of the inputs, written on each row as `_through_load_id`. -#}
{% macro person_inputs_through_load() -%}
    (select max(_load_id) from {{ ref('int_person_records_tracked') }})
{%- endmacro %}
