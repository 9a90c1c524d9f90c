{#- domain (PDU / OCU): a person who uses opiates and/or crack, from any source: an opiate or
    crack treatment episode, a DIP contact reporting opiates or crack, or an opiate-positive drug
    test. One row per such person, with the first date of evidence. -#}
with

episodes as (

    select person_id, referral_date as evidence_date
    from {{ ref('int_treatment_episodes_grouped') }}
    where is_ocu and person_id is not null

),

contacts as (

    select person_id, contact_date as evidence_date
    from {{ ref('int_dip_contacts_classified') }}
    where reports_ocu_use and person_id is not null

),

tests as (

    select person_id, test_date as evidence_date
    from {{ ref('int_mdt_drug_tests_accumulated') }}
    where opiates = 'positive' and person_id is not null

),

evidence as (

    select person_id, evidence_date, 'treatment' as source from episodes
    union all
    select person_id, evidence_date, 'dip' as source from contacts
    union all
    select person_id, evidence_date, 'drug_test' as source from tests

)

select
    person_id,
    min(evidence_date) as first_evidence_date,
    max(case when source = 'treatment' then 1 else 0 end) = 1 as has_treatment_evidence,
    max(case when source = 'dip' then 1 else 0 end) = 1 as has_dip_evidence,
    max(case when source = 'drug_test' then 1 else 0 end) = 1 as has_drug_test_evidence
from evidence
group by person_id
