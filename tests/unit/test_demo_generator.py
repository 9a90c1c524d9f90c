"""Tests of the demo extract generator, computed from the files it writes.

The checks read the files with a small reader written here (not the generator's own code): it
follows the extract contract — gzip, BOM, Windows-1252, CRLF, header case and order, identical
files loaded once, the latest file winning for a re-sent key, UK dates, code case and spaces —
so the calibration checks also show the files are readable as the contract says.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from orchestration.lib.paths import CODE_LISTS_CSV
from orchestration.lib.spec import DEMO_AREAS, DEMO_PERIODS, SOURCES, source
from smw_demo import MANIFEST_NAME, DemoManifest, generate
from smw_demo.areas import SALFORD
from smw_demo.salford import PERIODS as SALFORD_PERIODS
from smw_demo.timeline import MONTH_LABELS
from tests.demo_areas import REGION_AREAS, areas_of

MONTHLY = (
    "ims_nsp_transactions",
    "ims_interventions",
    "ndtms_episodes",
    "ndtms_top",
    "dip_contacts",
    "mdt_results",
)
IPED = {"anabolic_steroids", "peptide_hormones", "growth_hormone", "tanning_agents", "other_iped"}
SEFTON = "E08000014"


# --- an independent reader ------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    rows = list(csv.reader(io.StringIO(_decode(data), newline="")))
    header = [h.strip().lower() for h in rows[0]]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


def data_files(root: Path, name: str) -> list[Path]:
    return sorted(p for p in (root / name).iterdir() if not p.name.startswith("."))


def read_source(root: Path, name: str, since: str = "") -> dict[str, dict[str, str]]:
    """Records by key: identical files once, the latest file winning for a re-sent key.

    ``since`` (``YYYY-MM``) skips monthly files before that month: a record cannot be sent
    before the event it records, so a period's records are all in files from its first month.
    """
    spec = source(name)
    seen: set[str] = set()
    out: dict[str, dict[str, str]] = {}
    for path in data_files(root, name):
        if path.name[:7] < since:
            continue
        raw = path.read_bytes()
        digest = hashlib.sha256(gzip.decompress(raw) if path.name.endswith(".gz") else raw)
        if digest.hexdigest() in seen:
            continue
        seen.add(digest.hexdigest())
        for rec in read_file(path)[1]:
            out["|".join(rec[k] for k in spec.key)] = rec
    return out


def code(value: str) -> str:
    return value.strip().lower()


def parse_date(value: str) -> date | None:
    v = value.strip()
    if not v:
        return None
    if "/" in v:
        d, m, y = v.split("/")
        return date(int(y), int(m), int(d))
    return date.fromisoformat(v)


def period_of(d: date | None) -> str | None:
    if d is None:
        return None
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def person_key(rec: dict[str, str]) -> tuple[str, str, str, str] | None:
    fi, si, dob = rec["first_initial"].strip(), rec["surname_initial"].strip(), rec["date_of_birth"]
    if not fi or not si or not dob.strip():
        return None
    return (fi.upper(), si.upper(), str(parse_date(dob)), code(rec["sex"]))


def age_at(dob: str, when: date) -> int:
    b = parse_date(dob)
    assert b is not None
    return when.year - b.year - ((when.month, when.day) < (b.month, b.day))


def code_lists() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    with CODE_LISTS_CSV.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["code_list"]].add(row["code"].lower())
    return out


def ims_cohorts(root: Path, period: str) -> dict[str, set[tuple[str, str, str, str]]]:
    """The domain rule: any NSP visit → PWID (IPED if most visits are IPED, ties psychoactive);
    interventions and no NSP → brief interventions only."""
    visits: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    since = f"{period[:4]}-04"
    for rec in read_source(root, "ims_nsp_transactions", since).values():
        p = person_key(rec)
        if p is None or period_of(parse_date(rec["transaction_date"])) != period:
            continue
        visits[p][code(rec["substance_injected"]) in IPED] += 1
    bi: set[tuple[str, str, str, str]] = set()
    for rec in read_source(root, "ims_interventions", since).values():
        p = person_key(rec)
        if p is not None and period_of(parse_date(rec["intervention_date"])) == period:
            if p not in visits:
                bi.add(p)
    iped = {p for p, (psy, ip) in visits.items() if ip > psy}
    return {"pwid_psychoactive": set(visits) - iped, "pwid_iped": iped, "bi_only": bi}


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("demo-small")
    return out, generate(out, scale=0.02, seed=7)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("demo-full")
    return out, generate(out, scale=1.0, seed=2021)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- determinism and completeness ------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(small: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    root, _ = small
    again = tmp_path / "again"
    generate(again, scale=0.02, seed=7)
    assert _digests(again) == _digests(root)


def test_different_seed_differs(small: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    root, _ = small
    other = tmp_path / "other"
    generate(other, scale=0.02, seed=8)
    a, b = _digests(root), _digests(other)
    assert a.keys() == b.keys()
    changed = [k for k in a if a[k] != b[k]]
    assert len(changed) > len(a) / 2


def test_every_source_period_and_area_present(small: tuple[Path, DemoManifest]) -> None:
    root, manifest = small
    assert (root / MANIFEST_NAME).is_file()
    assert set(manifest.sources) == {s.name for s in SOURCES}
    for spec in SOURCES:
        files = data_files(root, spec.name)
        assert files, spec.name
        for path in files:
            header, _ = read_file(path)
            assert set(spec.required_columns) <= set(header), path
    for name in MONTHLY:
        stems = {p.name.split(".")[0] for p in data_files(root, name)}
        # every month of the window (treatment also has Salford's and the county's history)
        assert set(MONTH_LABELS) <= stems and len(MONTH_LABELS) == 96, name
        spec = source(name)
        periods = Counter(
            period_of(parse_date(r[spec.date_column])) for r in read_source(root, name).values()
        )
        assert all(periods[p] > 0 for p in DEMO_PERIODS), (name, periods)
    agency_la = {r["agency_code"]: r["la_code"] for r in read_source(root, "ims_agencies").values()}
    checks = {
        "ims_nsp_transactions": ("transaction_date", lambda r: agency_la.get(r["agency_code"])),
        "ims_interventions": ("intervention_date", lambda r: agency_la.get(r["agency_code"])),
        "ndtms_episodes": ("referral_date", lambda r: r["client_la_code"]),
        "dip_contacts": ("contact_date", lambda r: r["cjit_code"]),
    }
    for name, (date_col, area) in checks.items():
        seen = {
            (period_of(parse_date(r[date_col])), area(r)) for r in read_source(root, name).values()
        }
        for p in DEMO_PERIODS[1:]:  # episodes in the first file include the open caseload
            for la in areas_of(name):
                assert (p, la) in seen, (name, p, la)
        # no IMS or DIP activity is invented for the county (its reports print none)
        assert not {a for _, a in seen} & (set(DEMO_AREAS) - areas_of(name)), name
    prevalence = read_source(root, "prevalence_estimates").values()
    assert {(r["la_code"], r["period"]) for r in prevalence} == {
        (la, p) for la in DEMO_AREAS for p in DEMO_PERIODS
    } | {(SALFORD.code, p) for p in SALFORD_PERIODS}
    # Salford (the city needs assessment) only in its own years, 2006-07 and 2007-08
    salford_episodes = [
        r
        for r in read_source(root, "ndtms_episodes").values()
        if r["client_la_code"] == SALFORD.code
    ]
    referred = Counter(period_of(parse_date(r["referral_date"])) for r in salford_episodes)
    assert all(referred[p] > 0 for p in SALFORD_PERIODS), referred
    assert max(r["referral_date"] for r in salford_episodes) <= "2008-03-31"
    assert max(r["discharge_date"] for r in salford_episodes) <= "2008-03-31"
    tests = read_source(root, "mdt_results").values()
    assert "E08000011" not in {r["custody_la_code"] for r in tests}  # Knowsley has no suite


# --- calibration at scale 1 ------------------------------------------------------------------------


def test_ims_cohorts_2020_21(full: tuple[Path, DemoManifest]) -> None:
    root, _ = full
    cohorts = ims_cohorts(root, "2020-21")
    published = {"pwid_psychoactive": 6361, "pwid_iped": 3773, "bi_only": 4713}
    for name, n in published.items():
        assert abs(len(cohorts[name]) - n) <= 0.02 * n, (name, len(cohorts[name]))
    male = {name: sum(p[3] == "m" for p in ps) / len(ps) for name, ps in cohorts.items()}
    assert male["pwid_psychoactive"] == pytest.approx(0.82, abs=0.03)
    assert male["pwid_iped"] == pytest.approx(0.96, abs=0.03)
    assert male["bi_only"] == pytest.approx(0.60, abs=0.03)
    mid = date(2020, 9, 30)
    ages = [age_at(p[2], mid) for p in cohorts["pwid_psychoactive"]]
    assert sum(35 <= a <= 54 for a in ages) / len(ages) == pytest.approx(0.71, abs=0.04)


def test_nsp_activity_2019_20_to_2020_21(full: tuple[Path, DemoManifest]) -> None:
    root, _ = full
    agency_la = {r["agency_code"]: r["la_code"] for r in read_source(root, "ims_agencies").values()}
    cohorts = {p: ims_cohorts(root, p) for p in ("2019-20", "2020-21")}
    visits: Counter[tuple[str, str]] = Counter()
    needles: Counter[tuple[str, str]] = Counter()
    people: dict[tuple[str, str, str], set] = defaultdict(set)
    months: Counter[str] = Counter()
    for rec in read_source(root, "ims_nsp_transactions", "2019-04").values():
        d = parse_date(rec["transaction_date"])
        p, key = period_of(d), person_key(rec)
        if p not in cohorts or key is None:
            continue
        cohort = "iped" if key in cohorts[p]["pwid_iped"] else "psychoactive"
        visits[(p, cohort)] += 1
        needles[(p, cohort)] += int(rec["needles_issued"] or 0)
        people[(p, cohort, agency_la.get(rec["agency_code"], ""))].add(key)
        months[f"{d.year}-{d.month:02d}"] += 1  # type: ignore[union-attr]
    published = {
        ("2019-20", "psychoactive"): (60_466, 1_575_240),
        ("2019-20", "iped"): (13_756, 480_300),
        ("2020-21", "psychoactive"): (48_010, 1_181_430),
        ("2020-21", "iped"): (7_566, 341_000),
    }
    for k, (v, n) in published.items():
        assert visits[k] == pytest.approx(v, rel=0.02), k
        assert needles[k] == pytest.approx(n, rel=0.02), k
    falls = {
        c: sum(
            len(people[("2020-21", c, la)]) < len(people[("2019-20", c, la)]) for la in REGION_AREAS
        )
        for c in ("psychoactive", "iped")
    }
    assert falls == {"psychoactive": 7, "iped": 9}
    assert months["2020-04"] < 0.7 * months["2020-01"]  # the first lockdown


def test_sefton_dip_funnel_2015_16(full: tuple[Path, DemoManifest]) -> None:
    root, _ = full
    contacts = [
        r
        for r in read_source(root, "dip_contacts", "2015-04").values()
        if r["cjit_code"].strip() == SEFTON
        and period_of(parse_date(r["contact_date"])) == "2015-16"
    ]
    routes = Counter(code(r["route"]) for r in contacts)
    assert len(contacts) == 510 == sum(routes.values())
    assert routes["required_assessment"] == 377
    assert routes["transfer_in_completed"] == 43 and routes["transfer_in_not_completed"] == 6
    assert sum(routes.values()) - 377 - 43 - 6 == 84
    assessed = [r for r in contacts if code(r["assessed"]) == "y"]
    further = [r for r in assessed if code(r["further_intervention_required"]) == "y"]
    caseload = [r for r in further if code(r["taken_onto_caseload"]) == "y"]
    assert (len(assessed), len(further), len(caseload)) == (504, 380, 279)
    # invariants on every contact, not only counts
    for r in contacts:
        if code(r["taken_onto_caseload"]) == "y":
            assert code(r["assessed"]) == "y" and code(r["further_intervention_required"]) == "y"
        if code(r["route"]) == "transfer_in_not_completed":
            assert code(r["assessed"]) == "n"
    not_taken = [r for r in further if code(r["taken_onto_caseload"]) != "y"]
    transferred = [r for r in not_taken if r["transferred_to"].strip()]
    assert len(not_taken) == 101 and len(transferred) == 92
    assert Counter(r["transferred_to"] for r in transferred)["Liverpool CJIT"] == 31
    assert sum(code(r["sex"]) == "m" for r in contacts) / 510 == pytest.approx(0.88, abs=0.01)
    earlier = [
        r
        for r in read_source(root, "dip_contacts", "2014-04").values()
        if r["cjit_code"].strip() == SEFTON
        and period_of(parse_date(r["contact_date"])) == "2014-15"
    ]
    assert len(earlier) == 667


def _group(subs: list[str]) -> str:
    opiates = {"heroin", "methadone", "other_opiates"}
    s = {code(x) for x in subs if x.strip()}
    if s & opiates:
        return "opiate"
    drugs = s - {"alcohol"}
    if drugs and "alcohol" in s:
        return "non_opiate_alcohol"
    if drugs:
        return "non_opiate"
    return "alcohol_only"


def test_treatment_group_mix_and_completions_2017_18(full: tuple[Path, DemoManifest]) -> None:
    root, _ = full
    start, end = date(2017, 4, 1), date(2018, 3, 31)
    groups: dict[tuple[str, str, str, str], str] = {}
    latest: dict[tuple[str, str, str, str], tuple[date, str]] = {}
    for r in read_source(root, "ndtms_episodes").values():
        p, ref, dis = person_key(r), parse_date(r["referral_date"]), parse_date(r["discharge_date"])
        if p is None or ref is None or ref > end or (dis is not None and dis < start):
            continue
        groups[p] = _group([r["substance_1"], r["substance_2"], r["substance_3"]])
        if dis is not None and dis <= end and (p not in latest or dis > latest[p][0]):
            latest[p] = (dis, code(r["discharge_reason"]))
    mix = Counter(groups.values())
    total = sum(mix.values())
    for g, share in {
        "opiate": 0.54,
        "non_opiate": 0.06,
        "non_opiate_alcohol": 0.09,
        "alcohol_only": 0.31,
    }.items():
        assert mix[g] / total == pytest.approx(share, abs=0.03), (g, mix)
    completed = Counter(
        groups[p] for p, (_, reason) in latest.items() if reason.startswith("completed")
    )
    assert completed["opiate"] / mix["opiate"] == pytest.approx(0.07, abs=0.02)
    assert completed["non_opiate"] / mix["non_opiate"] == pytest.approx(0.40, abs=0.06)


def test_prevalence_consistent(full: tuple[Path, DemoManifest]) -> None:
    root, _ = full
    est: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for r in read_source(root, "prevalence_estimates").values():
        est[(r["la_code"], r["period"], r["drug_group"])][r["age_band"]] = int(r["estimate"])
        assert int(r["lower_95"]) <= int(r["estimate"]) <= int(r["upper_95"])
    for (la, period, group), bands in est.items():
        assert bands["15-64"] == bands["15-24"] + bands["25-34"] + bands["35-64"]
        if group == "ocu":
            opiate = est[(la, period, "opiate")]["15-64"]
            crack = est[(la, period, "crack")]["15-64"]
            assert opiate + crack >= bands["15-64"] >= max(opiate, crack)


# --- planted defects ---------------------------------------------------------------------------------


def exact_code_lists() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    with CODE_LISTS_CSV.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["code_list"]].add(row["code"])
    return out


def count_defects(root: Path) -> Counter[str]:
    """Count, from the files alone, every kind of cell-level defect and variant."""
    lists, exact = code_lists(), exact_code_lists()
    identifying = ("first_initial", "surname_initial", "date_of_birth")
    counted: Counter[str] = Counter()
    for spec in SOURCES:
        dates = [c.name for c in spec.columns if c.type == "date"]
        if spec.person_level:
            dates.append("date_of_birth")
        seen: set[str] = set()
        for path in data_files(root, spec.name):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                continue  # an identical file is loaded once
            seen.add(digest)
            _, rows = read_file(path)
            for r in rows:
                for col in spec.columns:
                    value = r[col.name]
                    if col.name in identifying:
                        continue
                    if col.required and not value.strip():
                        counted["missing_required"] += 1
                    if col.code_list in lists and value.strip():
                        values = value.split(";") if col.type == "list" else [value]
                        if any(code(v) not in lists[col.code_list] for v in values):
                            counted["unknown_code"] += 1
                        elif any(v not in exact[col.code_list] for v in values):
                            counted["code_case_and_spaces"] += 1
                    if col.type == "integer" and value.strip().startswith("-"):
                        counted["negative_count"] += 1
                counted["uk_date_format"] += sum("/" in r[c] for c in dates)
                if spec.person_level:
                    if not all(r[c].strip() for c in identifying):
                        counted["incomplete_attributor"] += 1
                    elif parse_date(r["date_of_birth"]) > parse_date(r[spec.date_column]):  # type: ignore[operator,index]
                        counted["impossible_date_birth_in_future"] += 1
                if spec.name == "ndtms_episodes":
                    ref = parse_date(r["referral_date"])
                    dis = parse_date(r["discharge_date"])
                    fi = parse_date(r["first_intervention_date"])
                    assert ref is not None
                    if dis is not None and dis < ref:
                        counted["impossible_date_discharge_before_referral"] += 1
                    if fi is not None and fi < ref:
                        counted["first_intervention_before_referral"] += 1
    return counted


def test_planted_defects_are_in_the_files(small: tuple[Path, DemoManifest]) -> None:
    root, manifest = small
    counted = count_defects(root)
    planted = manifest.defect_counts()
    kinds = {
        "missing_required", "unknown_code", "negative_count", "incomplete_attributor",
        "impossible_date_birth_in_future", "impossible_date_discharge_before_referral",
        "first_intervention_before_referral", "uk_date_format", "code_case_and_spaces",
    }  # fmt: skip
    assert {k: counted[k] for k in kinds} == {k: planted.get(k, 0) for k in kinds}
    rows = sum(s.rows for s in manifest.sources.values())
    errors = sum(
        n for k, n in planted.items() if k in kinds - {"uk_date_format", "code_case_and_spaces"}
    )
    assert 0 < errors < 0.01 * rows
    # every planted cell is where the manifest says, with the value it says
    by_file: dict[str, list] = defaultdict(list)
    for d in manifest.defects:
        if d.key is not None and d.value is not None:
            by_file[d.file].append(d)
    for rel, items in by_file.items():
        spec = source(rel.split("/")[0])
        _, file_rows = read_file(root / rel)
        index = {"|".join(r[k] for k in spec.key): r for r in file_rows}
        for d in items:
            assert index[d.key][d.field] == d.value, (rel, d)


def test_manifest_files_and_variants(small: tuple[Path, DemoManifest]) -> None:
    root, manifest = small
    saved = DemoManifest.from_dict(json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8")))
    assert saved.defect_counts() == manifest.defect_counts()
    for name, summary in manifest.sources.items():
        on_disk = {str(p.relative_to(root)) for p in data_files(root, name)}
        assert on_disk == {f.path for f in summary.files}
        assert summary.rows == sum(len(read_file(root / f.path)[1]) for f in summary.files)
        assert summary.rows == sum(f.rows for f in summary.files)
    dup = manifest.defects_of("duplicate_file")
    assert len(dup) == 1
    copy = root / dup[0].file
    assert copy.read_bytes() == (root / dup[0].file.replace(" (1)", "")).read_bytes()
    assert (
        root / manifest.defects_of("windows_1252_file", "ims_agencies")[0].file
    ).read_bytes().find("é".encode("cp1252")) >= 0
    nsp_resent = manifest.defects_of("resent_record", "ims_nsp_transactions")
    assert {d.key for d in nsp_resent} == set(manifest.sources["ims_nsp_transactions"].resent_keys)
    for kind in (
        "gzip_file",
        "crlf_file",
        "utf8_bom_file",
        "header_case_and_order",
        "extra_column",
    ):
        assert manifest.defect_counts()[kind] >= 1
    header, _ = read_file(root / manifest.defects_of("header_case_and_order")[0].file)
    assert header != list(
        source(manifest.defects_of("header_case_and_order")[0].source).column_names
    )
