{#- domain (DIP activity profile), per contact: the categories the profile tables count, each with
    'unknown' (or null where the profile's figure is "of those recorded") so that every
    breakdown of all contacts is a complete partition (disclosure control relies on it):
    - route: route group and route code ('group|route');
    - sex (male, female, indeterminate, unknown) and DIP age band, crossed as 'sex|band';
    - ethnicity: White British, other recorded groups, not stated (Z or missing);
    - residence relative to the CJIT: its own area, elsewhere in the region, outside the region,
      unknown;
    - offence and offender management scheme ('unknown' when missing);
    - main drug route, injecting status, drinking days and daily units bands: null when not
      recorded (their profile tables are of those recorded). -#}
with

contacts as (

    select * from {{ ref('int_dip_contacts_classified') }}

),

ethnicities as (

    select code, category from {{ ref('code_lists') }}
    where code_list = 'ethnicity'

),

areas as (

    select area_code, parent_code from {{ ref('areas') }}
    where area_type = 'la'

),

profiled as (

    select
        contacts.contact_id,
        contacts.person_id,
        contacts.cjit_code,
        contacts.period,
        contacts.route_group,
        contacts.route_group || '|' || coalesce(contacts.route, 'unknown') as route_detail,
        case contacts.sex
            when 'M' then 'male'
            when 'F' then 'female'
            when 'I' then 'indeterminate'
            else 'unknown'
        end as sex_group,
        contacts.age_band,
        case
            when ethnicities.category = 'white_british' then 'white_british'
            when
                ethnicities.category is null or ethnicities.category = 'not_stated'
                then 'not_stated'
            else 'other'
        end as ethnicity_group,
        case
            when
                contacts.client_la_code is null or contacts.client_la_code = 'unknown'
                then 'unknown'
            when contacts.client_la_code = contacts.cjit_code then 'own_area'
            when
                cjit_area.parent_code is not null
                and cjit_area.parent_code = residence_area.parent_code
                then 'elsewhere_in_region'
            else 'outside_region'
        end as residence,
        coalesce(contacts.offence, 'unknown') as offence,
        coalesce(contacts.offender_management, 'unknown') as offender_management,
        contacts.main_drug_route,
        contacts.injecting_status,
        {{ drinking_days_band('contacts.drinking_days_28') }} as drinking_days_band,
        {{ daily_units_band('contacts.daily_units') }} as daily_units_band,
        contacts.drugs_used,
        contacts.is_not_taken_on,
        contacts.is_transferred_out,
        contacts.transfer_destination
    from contacts
    left join ethnicities
        on contacts.ethnicity = ethnicities.code
    left join areas as cjit_area
        on contacts.cjit_code = cjit_area.area_code
    left join areas as residence_area
        on contacts.client_la_code = residence_area.area_code

)

select
    *,
    sex_group || '|' || age_band as sex_age_band,
    case when drinking_days_band is not null then sex_group || '|' || drinking_days_band end
        as sex_drinking_days,
    case when daily_units_band is not null then sex_group || '|' || daily_units_band end
        as sex_daily_units
from profiled
