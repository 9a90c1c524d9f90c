{#- domain (tx_successful_completion): 1 when another episode (episode, a relation alias) of the
    person is treatment after their latest discharge (discharge_date) within window_end_date,
    else 0: referred after the discharge and by the window's end, or referred by the discharge
    and still open after it (not yet discharged, or discharged later). A completion followed by
    such an episode is not a successful completion. Aggregate with max(...) = 1 over the person's
    other episodes; used for the financial year (int_treatment_person_periods) and for quarters
    and rolling windows (fct_indicator_counts_periods). -#}
{% macro later_treatment_flag(episode, discharge_date, window_end_date) -%}
    case
        when
            {{ episode }}.referral_date > {{ discharge_date }}
            and {{ episode }}.referral_date <= {{ window_end_date }}
            then 1
        when
            {{ episode }}.referral_date <= {{ discharge_date }}
            and (
                {{ episode }}.discharge_date is null
                or {{ episode }}.discharge_date > {{ discharge_date }}
            )
            then 1
        else 0
    end
{%- endmacro %}
