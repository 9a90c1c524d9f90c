{#- Treatment providers as they appear in the episodes extract (there is no provider file). -#}
with

episodes as (

    select * from {{ ref('int_ndtms_episodes_accumulated') }}

)

select
    provider_code,
    min(referral_date) as first_referral_date,
    max(referral_date) as last_referral_date,
    count(*) as episodes
from episodes
where provider_code is not null
group by provider_code
