{#- domain (DIP funnel): contacts needing further intervention but not taken onto the caseload,
    by the CJIT or prison they were transferred to ('not transferred' for the rest). -#}
with

contacts as (

    select * from {{ ref('int_dip_contacts_classified') }}
    where is_not_taken_on

)

select
    cjit_code || '|' || period || '|' || coalesce(transferred_to, 'not transferred') as transfer_id,
    cjit_code,
    period,
    coalesce(transferred_to, 'not transferred') as destination,
    transferred_to is not null as is_transferred,
    count(*) as contacts,
    count(distinct person_id) as people
from contacts
group by cjit_code, period, coalesce(transferred_to, 'not transferred'), transferred_to is not null
