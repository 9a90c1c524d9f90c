{#- extract spec: a DIP contact's cjit_code is the ONS code of the local authority whose criminal
    justice integrated team (CJIT) recorded it. -#}
with

contacts as (

    select * from {{ ref('int_dip_contacts_accumulated') }}

),

areas as (

    select * from {{ ref('areas') }}

),

cjits as (

    select
        cjit_code,
        min(contact_date) as first_contact_date,
        max(contact_date) as last_contact_date,
        count(*) as contacts
    from contacts
    where cjit_code is not null
    group by cjit_code

)

select
    cjits.cjit_code,
    coalesce(areas.area_name, cjits.cjit_code) || ' CJIT' as cjit_name,
    cjits.cjit_code as area_code,
    cjits.first_contact_date,
    cjits.last_contact_date,
    cjits.contacts
from cjits
left join areas
    on cjits.cjit_code = areas.area_code
