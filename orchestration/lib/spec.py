"""The raw extract contract (extract specification, version 1) as code.

This is the project's own copy of what it needs from the supplier contract: which sources exist,
their columns, which are required, their types and code lists. Landing, the demo generator and
the data-quality suites read it; the dbt source definitions of the raw tables and the row-problem
rules of staging are generated from it (``make spec``, ``orchestration/lib/spec_codegen.py``).
Code *values* live in one place only: the dbt seed ``seeds/code_lists/code_lists.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "code", "date", "integer", "number", "list", "attributor"]

#: The four attributor fields. They identify people and never reach a warehouse table.
ATTRIBUTOR_FIELDS: tuple[str, ...] = ("first_initial", "surname_initial", "date_of_birth", "sex")
#: Attributor fields that are removed at landing (sex is kept: it is not identifying alone and
#: every sex breakdown needs it).
IDENTIFYING_FIELDS: tuple[str, ...] = ("first_initial", "surname_initial", "date_of_birth")
#: Columns that landing adds to every person-level raw table in place of the identifiers.
PSEUDONYM_COLUMNS: tuple[str, ...] = ("person_id", "birth_month", "attributor_status")
#: Lineage columns that landing adds to every raw table.
LINEAGE_COLUMNS: tuple[str, ...] = ("_load_id", "_file_name", "_row_number", "_extra")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "text"
    required: bool = False
    code_list: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Source:
    """One raw extract: ``<landing>/<name>/*.csv``."""

    name: str
    system: str  # ims, ndtms, dip, mdt, reference: the dbt source name
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    person_level: bool = False
    date_column: str | None = None  # the event date that places a record in a period
    resent_whole: bool = False  # each file is a full snapshot (agencies)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def raw_columns(self) -> tuple[str, ...]:
        """Columns of the raw table built from the extract (identifiers replaced)."""
        cols = [c for c in self.column_names if c not in IDENTIFYING_FIELDS]
        if self.person_level:
            cols += list(PSEUDONYM_COLUMNS)
        return tuple(cols)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _attributor() -> tuple[Column, ...]:
    return (
        Column("first_initial", "attributor", True, description="first initial (identifier)"),
        Column("surname_initial", "attributor", True, description="surname initial (identifier)"),
        Column(
            "date_of_birth",
            "attributor",
            True,
            description="date of birth (identifier); not after the event, not in the future, at most"
            " 110 years before the event, or the record is rejected (counted nowhere, linked to nobody)",
        ),
        Column("sex", "code", True, "sex", description="M, F, I indeterminate, U not stated"),
    )


def _days(name: str) -> Column:
    return Column(name, "integer", False, min_value=0, max_value=28)


#: One line per supplying system: the description of its dbt source (``spec_codegen`` writes it
#: into ``models/staging/<system>/_<system>__sources.yml``).
SYSTEMS: dict[str, str] = {
    "ims": (
        "Integrated Monitoring System (IMS): low-threshold services, needle and syringe programmes"
        " and brief interventions."
    ),
    "ndtms": "National Drug Treatment Monitoring System (NDTMS)-style structured treatment extracts.",
    "dip": (
        "Drug Interventions Programme (DIP) monitoring forms from criminal justice integrated"
        " teams (CJITs)."
    ),
    "mdt": "Drug tests on arrest in police custody suites.",
    "reference": (
        "Reference data sent as extracts: prevalence estimates, population estimates,"
        " England benchmarks."
    ),
}

#: What the extract specification states in words, for the row-problem rules of staging
#: (``dbt_project/macros/quality/staging_checks.sql`` is generated from the columns above and
#: this): per source, its staging model, a surrogate record key where the extract has no single
#: key column, and per column the rules beyond type, required, code list and range.
STAGING_RULES: dict[str, dict] = {
    "dip_contacts": {
        "model": "stg_dip__contacts",
        "columns": {
            "contact_date": {"not_in_future": True},
            "drugs_used": {"flag": "has_unknown_drugs_used"},
        },
    },
    "ims_agencies": {"model": "stg_ims__agencies"},
    "ims_nsp_transactions": {
        "model": "stg_ims__nsp_transactions",
        "columns": {"transaction_date": {"not_in_future": True}},
    },
    "ims_interventions": {
        "model": "stg_ims__interventions",
        "columns": {"intervention_date": {"not_in_future": True}},
    },
    "mdt_results": {
        "model": "stg_mdt__drug_tests",
        "columns": {"test_date": {"not_in_future": True}},
    },
    "ndtms_episodes": {
        "model": "stg_ndtms__episodes",
        "columns": {
            "referral_date": {"not_in_future": True},
            "triage_date": {"not_before": "referral_date", "not_in_future": True},
            "first_intervention_date": {"not_before": "referral_date", "not_in_future": True},
            "discharge_date": {"not_before": "referral_date", "not_in_future": True},
            "discharge_reason": {"required_with": "discharge_date"},
        },
    },
    "ndtms_top": {
        "model": "stg_ndtms__top_reviews",
        "columns": {"review_date": {"not_in_future": True}},
    },
    "prevalence_estimates": {
        "model": "stg_reference__prevalence_estimates",
        "record_key": "prevalence_estimate_id",
        "columns": {"period": {"check": "period"}},  # written YYYY-YY
    },
    "population": {"model": "stg_reference__populations", "record_key": "population_id"},
    "national_benchmarks": {
        "model": "stg_reference__national_benchmarks",
        "record_key": "national_benchmark_id",
    },
}


SOURCES: tuple[Source, ...] = (
    Source(
        name="ims_agencies",
        system="ims",
        description="IMS service providers: one row per agency; each file is re-sent whole.",
        key=("agency_code",),
        resent_whole=True,
        columns=(
            Column("agency_code", "text", True),
            Column("agency_name", "text", True),
            Column("agency_type", "code", True, "agency_type"),
            Column("la_code", "code", True, "la_code"),
            Column("opened_date", "date"),
            Column("closed_date", "date"),
        ),
    ),
    Source(
        name="ims_nsp_transactions",
        system="ims",
        description="Needle and syringe programme visits: one row per visit.",
        key=("transaction_id",),
        person_level=True,
        date_column="transaction_date",
        columns=(
            Column("transaction_id", "text", True),
            Column("agency_code", "text", True),
            Column("transaction_date", "date", True),
            *_attributor(),
            Column("client_la_code", "code", False, "la_code"),
            Column("substance_injected", "code", True, "ims_injected_substance"),
            Column("needles_issued", "integer", True, min_value=0, max_value=10_000),
            Column("syringes_issued", "integer", False, min_value=0, max_value=10_000),
            Column("sharps_returned", "code", False, "yes_no"),
            Column("first_visit", "code", False, "yes_no"),
        ),
    ),
    Source(
        name="ims_interventions",
        system="ims",
        description="Brief interventions and other contacts: one row per intervention.",
        key=("intervention_id",),
        person_level=True,
        date_column="intervention_date",
        columns=(
            Column("intervention_id", "text", True),
            Column("agency_code", "text", True),
            Column("intervention_date", "date", True),
            *_attributor(),
            Column("client_la_code", "code", False, "la_code"),
            Column("intervention_category", "code", True, "intervention_category"),
            Column("main_substance", "code", False, "ims_substance"),
            Column("second_substance", "code", False, "ims_substance"),
        ),
    ),
    Source(
        name="ndtms_episodes",
        system="ndtms",
        description="Structured treatment episodes: one row per episode per provider.",
        key=("episode_id",),
        person_level=True,
        date_column="referral_date",
        columns=(
            Column("episode_id", "text", True),
            Column("provider_code", "text", True),
            *_attributor(),
            Column("ethnicity", "code", False, "ethnicity"),
            Column("client_la_code", "code", True, "la_code"),
            Column("referral_date", "date", True),
            Column("referral_source", "code", False, "referral_source"),
            Column("triage_date", "date"),
            Column("first_intervention_date", "date"),
            Column("setting", "code", False, "setting"),
            Column("substance_1", "code", True, "treatment_substance"),
            Column("substance_2", "code", False, "treatment_substance"),
            Column("substance_3", "code", False, "treatment_substance"),
            Column("injecting_status", "code", False, "injecting_status"),
            Column("accommodation_need", "code", False, "accommodation_need"),
            Column("employment_status", "code", False, "employment_status"),
            Column("parental_status", "code", False, "parental_status"),
            Column("discharge_date", "date"),
            Column("discharge_reason", "code", False, "discharge_reason"),
            Column("hbv_vaccination", "code", False, "hbv_vaccination"),
            Column("hcv_tested", "code", False, "hcv_tested"),
        ),
    ),
    Source(
        name="ndtms_top",
        system="ndtms",
        description="Treatment Outcomes Profile reviews: one row per review.",
        key=("top_id",),
        date_column="review_date",
        columns=(
            Column("top_id", "text", True),
            Column("episode_id", "text", True),
            Column("review_date", "date", True),
            Column("stage", "code", True, "top_stage"),
            _days("days_opiates"),
            _days("days_crack"),
            _days("days_cocaine"),
            _days("days_amphetamine"),
            _days("days_cannabis"),
            _days("days_alcohol"),
            Column("injected_last_28", "code", False, "yes_no"),
            Column("housing", "code", False, "top_housing"),
            _days("days_paid_work"),
        ),
    ),
    Source(
        name="dip_contacts",
        system="dip",
        description="Drug Interventions Programme contacts: one row per contact.",
        key=("contact_id",),
        person_level=True,
        date_column="contact_date",
        columns=(
            Column("contact_id", "text", True),
            Column("cjit_code", "code", True, "la_code"),
            Column("contact_date", "date", True),
            *_attributor(),
            Column("ethnicity", "code", False, "ethnicity"),
            Column("client_la_code", "code", False, "la_code"),
            Column("route", "code", True, "dip_route"),
            Column("transfer_from", "text"),
            Column("assessed", "code", True, "yes_no"),
            Column("further_intervention_required", "code", False, "yes_no"),
            Column("taken_onto_caseload", "code", False, "yes_no"),
            Column("transferred_to", "text"),
            Column("drugs_used", "list", False, "treatment_substance"),
            Column("main_drug_route", "code", False, "drug_route"),
            Column("injecting_status", "code", False, "injecting_status"),
            Column("drinking_days_28", "integer", False, min_value=0, max_value=28),
            Column("daily_units", "integer", False, min_value=0, max_value=200),
            Column("offence", "code", False, "offence"),
            Column("offender_management", "code", False, "offender_management"),
        ),
    ),
    Source(
        name="mdt_results",
        system="mdt",
        description="Drug tests on arrest: one row per test.",
        key=("test_id",),
        person_level=True,
        date_column="test_date",
        columns=(
            Column("test_id", "text", True),
            Column("test_date", "date", True),
            Column("custody_suite", "text", True),
            Column("custody_la_code", "code", True, "la_code"),
            *_attributor(),
            Column("opiates", "code", True, "test_result"),
            Column("cocaine", "code", True, "test_result"),
        ),
    ),
    Source(
        name="prevalence_estimates",
        system="reference",
        description="Opiate and crack use prevalence estimates: one row per area, period, drug "
        "group and age band.",
        key=("la_code", "period", "drug_group", "age_band"),
        columns=(
            Column("la_code", "code", True, "la_code"),
            Column("period", "text", True),
            Column("drug_group", "code", True, "prevalence_drug_group"),
            Column("age_band", "code", True, "prevalence_age_band"),
            Column("estimate", "number", True, min_value=0, max_value=10_000_000),
            Column("lower_95", "number", False, min_value=0, max_value=10_000_000),
            Column("upper_95", "number", False, min_value=0, max_value=10_000_000),
        ),
    ),
    Source(
        name="population",
        system="reference",
        description="Mid-year population estimates: one row per area, year, sex and age band.",
        key=("la_code", "year", "sex", "age_band"),
        columns=(
            Column("la_code", "code", True, "la_code"),
            Column("year", "integer", True),
            Column("sex", "code", True, "population_sex"),
            Column("age_band", "code", True, "population_age_band"),
            Column("population", "integer", True, min_value=0, max_value=10_000_000),
        ),
    ),
    Source(
        name="national_benchmarks",
        system="reference",
        description="Published England figures for comparison: one row per indicator, period "
        "and breakdown.",
        key=("indicator_code", "period", "breakdown"),
        columns=(
            Column("indicator_code", "text", True),
            Column("period", "text", True),
            Column("breakdown", "text"),
            Column("numerator", "number", True, min_value=0, max_value=100_000_000),
            Column("denominator", "number", True, min_value=0, max_value=100_000_000),
        ),
    ),
)

SOURCES_BY_NAME: dict[str, Source] = {s.name: s for s in SOURCES}

#: The demo areas: the nine Cheshire & Merseyside local authorities (every source), then
#: Leicestershire (East Midlands), the county of the JSNA chapter: treatment, TOP, prevalence and
#: population only (no IMS or DIP data describe it).
DEMO_AREAS: dict[str, str] = {
    "E06000049": "Cheshire East",
    "E06000050": "Cheshire West and Chester",
    "E06000006": "Halton",
    "E08000011": "Knowsley",
    "E08000012": "Liverpool",
    "E08000013": "St. Helens",
    "E08000014": "Sefton",
    "E06000007": "Warrington",
    "E08000015": "Wirral",
    "E10000018": "Leicestershire",
}

#: The demo areas outside the region: only treatment (NDTMS episodes, TOP), prevalence and
#: population describe them; the region is rolled up from the other demo areas.
DEMO_COUNTY_AREAS: dict[str, str] = {"E10000018": "Leicestershire"}

#: Financial years covered by the demo extracts.
DEMO_PERIODS: tuple[str, ...] = (
    "2013-14",
    "2014-15",
    "2015-16",
    "2016-17",
    "2017-18",
    "2018-19",
    "2019-20",
    "2020-21",
)


def source(name: str) -> Source:
    try:
        return SOURCES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES_BY_NAME)}") from None
