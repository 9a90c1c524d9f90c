{#- domain (Methods): rates and counts, "exact Poisson for small counts" (PHEindicatormethods
    phe_rate: counts below 10; Armitage & Berry 2002). For an observed count x at confidence
    1 - alpha, PHE computes
        lower = qchisq(alpha/2, 2x) / 2            (0 when x = 0)
        upper = qchisq(1 - alpha/2, 2x + 2) / 2
    SQL has no chi-square quantile, so we use its identity with the Poisson distribution: the
    bounds are the means mu at which
        lower: P(X <= x - 1; mu) = 1 - alpha/2
        upper: P(X <= x; mu)     = alpha/2
    and for a whole number k, F(mu) = P(X <= k; mu) = exp(-mu) * sum_{j=0..k} mu^j / j! is a
    finite sum (generated here up to k = 9), with dF/dmu = -exp(-mu) mu^k / k!. Each bound solves
    F(mu) = p by Newton's method, mu <- mu + (F(mu) - p) / (exp(-mu) mu^k / k!), written as
    mu + (sum - p exp(mu)) k! / mu^k, for a fixed number of steps from a closed-form start:
        upper: Byar's upper limit (Byar's method is the Wilson-Hilferty approximation of the
               chi-square quantile), within 3% of the root;
        lower: the larger of Byar's lower limit (null or far too low for small counts at high
               confidence) and (alpha/2 x!)^(1/x), the small-mean limit of P(X >= x; mu) ~
               mu^x / x!; both lie below the root, the larger within 9% of it.
    Newton's error then falls 1e-2 -> 4e-4 -> 2e-7 -> 1e-13: four steps reach the rounding floor
    (relative error below 1e-12) for every count 0-9 at the five supported levels; the fifth step
    is margin. Counts that are not whole numbers in 0-9 give null (count_ci_* use Byar's from 10).

    Why a scalar subquery: every Newton step uses the previous estimate about a dozen times (the
    terms of the sum, the exponential, the derivative), so nesting the steps as one expression
    grows as 12^steps (two steps from Byar's start: ~150 copies of it, and still not 1e-9 at
    99.8%). Each step here is one derived table that names the estimate once (a let-binding), so
    the SQL grows linearly: about 5 kB per call. Standard SQL; runs on DuckDB and PostgreSQL.
    Spark rejects outer references inside such derived tables, so it has its own implementation
    below, a fold with the aggregate() higher-order function. -#}
{% macro exact_poisson_lower(count, confidence=0.95) -%}
    {{ return(adapter.dispatch('exact_poisson_bound', 'smw')(count, confidence, 'lower')) }}
{%- endmacro %}

{% macro exact_poisson_upper(count, confidence=0.95) -%}
    {{ return(adapter.dispatch('exact_poisson_bound', 'smw')(count, confidence, 'upper')) }}
{%- endmacro %}

{% macro exact_poisson_settings() -%}
    {{ return({'max_count': 9, 'newton_steps': 5}) }}
{%- endmacro %}

{#- The parts shared by the implementations, as SQL over the given expressions for the count x,
    k = x - offset (null outside the domain), k! and the current estimate: the start, one Newton
    step and the finish. -#}
{% macro exact_poisson_parts(confidence, bound, x='poisson_x', k='poisson_k', k_factorial='poisson_k_factorial', mean='poisson_mean') -%}
    {%- set settings = smw.exact_poisson_settings() -%}
    {%- set tail = smw.tail_probability(confidence) -%}
    {%- if bound == 'lower' -%}
        {%- set offset = 1 -%}
        {%- set target = (1 - tail) | round(10) -%}
        {%- set byar = smw.byar_lower(x, confidence) -%}
        {%- set small_mean = 'power(' ~ tail ~ ' * ' ~ x ~ ' * ' ~ k_factorial ~ ', 1 / ' ~ x ~ ')' -%}
        {%- set start = 'case when ' ~ k ~ ' >= 0 then case when coalesce(' ~ byar ~ ', 0) > '
            ~ small_mean ~ ' then ' ~ byar ~ ' else ' ~ small_mean ~ ' end end' -%}
        {%- set finish = 'case when ' ~ k ~ ' = -1 then 0 else ' ~ mean ~ ' end' -%}
    {%- elif bound == 'upper' -%}
        {%- set offset = 0 -%}
        {%- set target = tail -%}
        {%- set start = 'case when ' ~ k ~ ' >= 0 then ' ~ smw.byar_upper(x, confidence) ~ ' end' -%}
        {%- set finish = mean -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("exact_poisson bound must be lower or upper: " ~ bound) }}
    {%- endif -%}
    {%- set factorials = [1] -%}
    {%- for j in range(1, settings.max_count + 1) -%}
        {%- do factorials.append(factorials[-1] * j) -%}
    {%- endfor -%}
    {%- set cases = [] -%}
    {%- for j in range(settings.max_count + 1) -%}
        {%- do cases.append('when ' ~ j ~ ' then ' ~ factorials[j]) -%}
    {%- endfor -%}
    {%- set terms = ['1', 'case when ' ~ k ~ ' >= 1 then ' ~ mean ~ ' else 0 end'] -%}
    {%- for j in range(2, settings.max_count + 1) -%}
        {%- do terms.append('case when ' ~ k ~ ' >= ' ~ j ~ ' then power(' ~ mean ~ ', ' ~ j ~ ') / '
            ~ factorials[j] ~ ' else 0 end') -%}
    {%- endfor -%}
    {{ return({
        'k': 'case when ' ~ x ~ ' >= 0 and ' ~ x ~ ' <= ' ~ settings.max_count ~ ' and ' ~ x
            ~ ' = floor(' ~ x ~ ') then ' ~ x ~ ' - ' ~ offset ~ ' end',
        'k_factorial': 'case ' ~ k ~ ' ' ~ cases | join(' ') ~ ' end',
        'start': start,
        'step': mean ~ ' + (' ~ terms | join(' + ') ~ ' - ' ~ target ~ ' * exp(' ~ mean ~ ')) * '
            ~ k_factorial ~ ' / power(' ~ mean ~ ', ' ~ k ~ ')',
        'finish': finish,
        'steps': settings.newton_steps,
    }) }}
{%- endmacro %}

{% macro default__exact_poisson_bound(count, confidence, bound) -%}
    {{ smw.exact_poisson_derived_tables(count, confidence, bound) }}
{%- endmacro %}

{#- PostgreSQL pulls derived tables up into the query that reads them, substituting each
    estimate back into the next step: the 12^steps growth again (gigabytes of planner memory).
    OFFSET 0 keeps each step a derived table of its own (the documented optimisation fence). -#}
{% macro postgres__exact_poisson_bound(count, confidence, bound) -%}
    {{ smw.exact_poisson_derived_tables(count, confidence, bound, fence=' offset 0') }}
{%- endmacro %}

{% macro exact_poisson_derived_tables(count, confidence, bound, fence='') -%}
    {%- set parts = smw.exact_poisson_parts(confidence, bound) -%}
    {%- set carried = 'poisson_k, poisson_k_factorial' -%}
    {%- set ns = namespace(sql='') -%}
    {%- set ns.sql -%}
        select {{ carried }}, {{ parts.start }} as poisson_mean
        from (
            select poisson_x, poisson_k, {{ parts.k_factorial }} as poisson_k_factorial
            from (
                select poisson_x, {{ parts.k }} as poisson_k
                from (select {{ smw.as_double(count) }} as poisson_x{{ fence }}) as poisson_count
            {{- fence }}
            ) as poisson_domain
        {{- fence }}
        ) as poisson_start
    {%- endset -%}
    {%- for i in range(parts.steps) -%}
        {%- set ns.sql = 'select ' ~ carried ~ ', ' ~ parts.step ~ ' as poisson_mean from (' ~ ns.sql
            ~ fence ~ ') as poisson_step_' ~ i -%}
    {%- endfor -%}
    (select {{ parts.finish }} from ({{ ns.sql }}{{ fence }}) as poisson_root)
{%- endmacro %}

{#- Spark: the same steps as a fold, aggregate(sequence(1, steps), start, step); the estimate is
    the lambda's accumulator, so it is named once per step here too. -#}
{% macro spark__exact_poisson_bound(count, confidence, bound) -%}
    {%- set x = smw.as_double(count) -%}
    {%- set k = '(' ~ smw.exact_poisson_parts(confidence, bound, x=x).k ~ ')' -%}
    {%- set k_factorial = '(' ~ smw.exact_poisson_parts(confidence, bound, x=x, k=k).k_factorial ~ ')' -%}
    {%- set parts = smw.exact_poisson_parts(confidence, bound, x=x, k=k, k_factorial=k_factorial) -%}
    {%- set fold -%}
        aggregate(
            sequence(1, {{ parts.steps }}),
            {{ parts.start }},
            (poisson_mean, poisson_step) -> {{ parts.step }}
        )
    {%- endset -%}
    ({{ parts.finish | replace('poisson_mean', fold) }})
{%- endmacro %}
