with

agencies as (

    select * from {{ ref('stg_ims__agencies') }}

)

select
    agency_code,
    agency_name,
    agency_type,
    agency_type = 'pharmacy' as is_pharmacy,
    la_code as area_code,
    opened_date,
    closed_date
from agencies
