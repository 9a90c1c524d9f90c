{#- Every version of every person-level record as landed (raw keeps every row), with its record
    key, person and load, and the agencies snapshot's versions (no person): what the models kept
    per person read to find the people whose records changed since they were last built (see
    smw.person_incremental_config). A view: it stores nothing, and a filter on _load_id reaches
    the scan of each raw table. -#}
{{ config(materialized='view') }}
{%- set extracts = smw.person_level_sources() + [('ims', 'ims_agencies', 'agency_code')] %}
{% for source_name, table_name, record_key in extracts %}
{%- if not loop.first %}
union all
{% endif %}
select
    '{{ table_name }}' as source_name,
    {{ smw.staging_record_key(record_key) }} as record_key,
    {% if table_name == 'ims_agencies' -%}
    cast(null as {{ dbt.type_string() }}) as person_id,
    {%- else -%}
    person_id,
    {%- endif %}
    _load_id
from {{ source(source_name, table_name) }}
{%- endfor %}
