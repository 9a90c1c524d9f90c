"""The content of a report page, independent of HTML: sections, figures, tables and cells.

Every number on a page is a :class:`Cell` (or an inline :func:`number` span) that says what kind
of number it is (``data-kind`` in the HTML): ``count`` for counts of people, contacts, visits or
needles, ``percent``, ``interval``, ``change``, ``ratio`` and so on. Counts come straight from
published rows, so a withheld count is ``*`` and no count from one to four is ever shown; the
tests check the rendered pages for exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from orchestration.lib import indicator_words
from orchestration.lib.reports.data import Value

SUPPRESSED = "*"
PROVISIONAL = "\u2020"  # dagger

#: Kinds of number a cell can hold (data-kind in the page).
KINDS = {
    "count",  # people, contacts, visits, needles, interventions, mentions
    "percent",
    "interval",
    "change",  # a difference between two published counts or values
    "ratio",  # e.g. visits per person
    "areas",  # a number of areas, not of people
    "comparison",
    "trend",
    "label",
    "period",
}


@dataclass
class Cell:
    text: str
    kind: str = "label"
    suppressed: bool = False
    provisional: bool = False
    css: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown cell kind {self.kind!r}")


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[Cell]]
    note: str = ""
    is_figure: bool = False


@dataclass
class Figure:
    id: str
    title: str
    svg: Markup
    alt: str
    table: Table
    note: str = ""
    is_figure: bool = True


@dataclass
class Section:
    """Prose, then figures and tables in the order they were added."""

    id: str
    title: str
    intro: list[Markup] = field(default_factory=list)  # findings: the page's summary quotes them
    about: list[Markup] = field(default_factory=list)  # what the section counts, never a finding
    blocks: list[Figure | Table] = field(default_factory=list)

    @classmethod
    def of(cls, id: str, title: str, *blocks: Figure | Table | None) -> Section:
        """A section of ``blocks`` in order (a ``None``, a figure with nothing to show, left out)."""
        section = cls(id, title)
        for block in blocks:
            section.add(block)
        return section

    def add(self, block: Figure | Table | None) -> None:
        if block is not None:
            self.blocks.append(block)

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


@dataclass
class MethodNote:
    code: str
    title: str
    definition: str
    numerator: str
    denominator: str
    unit: str
    method: str
    comparator: str
    polarity: str
    periods: str
    source: str


@dataclass
class Page:
    report: str  # harm-reduction, treatment, dip
    report_title: str
    area_code: str
    area_name: str
    period: str
    title: str
    summary: list[Markup]
    sections: list[Section]
    methods: list[MethodNote]
    notes: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for t in self.all_tables() for r in t.rows for c in r)

    @property
    def has_provisional(self) -> bool:
        return any(c.provisional for t in self.all_tables() for r in t.rows for c in r)

    def all_tables(self) -> list[Table]:
        return [f.table for f in self.figures] + [t for s in self.sections for t in s.tables]


# -- formatting --------------------------------------------------------------------------------


def fmt_int(n: float) -> str:
    return f"{round(n):,}"


def fmt_pct(p: float | None, dp: int = 0) -> str:
    if p is None:
        return ""
    return f"{p * 100:.{dp}f}%"


def count_cell(v: Value | None, field_name: str = "numerator") -> Cell:
    """A published count, or * when its row is withheld."""
    if v is None:
        return Cell("", "count")
    if v.is_suppressed:
        return Cell(SUPPRESSED, "count", suppressed=True, provisional=v.is_provisional)
    n = getattr(v, field_name)
    if n is None:
        return Cell("", "count")
    return Cell(fmt_int(n), "count", provisional=v.is_provisional)


def pct_cell(v: Value | None, dp: int = 0) -> Cell:
    if v is None:
        return Cell("", "percent")
    if v.is_suppressed:
        return Cell(SUPPRESSED, "percent", suppressed=True, provisional=v.is_provisional)
    if v.value is None:
        return Cell("", "percent")
    return Cell(fmt_pct(v.value, dp), "percent", provisional=v.is_provisional)


def interval_cell(v: Value | None, dp: int = 0, percent: bool = True) -> Cell:
    if v is None or v.lower_95 is None or v.upper_95 is None:
        return Cell(
            SUPPRESSED if v is not None and v.is_suppressed else "",
            "interval",
            suppressed=bool(v and v.is_suppressed),
        )
    if percent:
        return Cell(f"{fmt_pct(v.lower_95, dp)}\u2013{fmt_pct(v.upper_95, dp)}", "interval")
    return Cell(f"{v.lower_95:,.0f}\u2013{v.upper_95:,.0f}", "interval")


def _small(change: float) -> bool:
    """A difference of one to four: shown only as a percentage, so that no page prints a number
    from one to four that reads as a count (both years' counts are published anyway)."""
    return 0 < abs(round(change)) < 5


def change_text(change: float | None, unit_word: str, relative: float | None) -> str:
    """'2,735 fewer people (42% decrease)' as the IMS overview words it."""
    if change is None:
        return ""
    if round(change) == 0:
        return f"no change in {unit_word}"
    direction = "increase" if change > 0 else "decrease"
    if _small(change):
        return (
            f"a {abs(relative) * 100:.0f}% {direction} in {unit_word}"
            if relative is not None
            else f"a small {direction} in {unit_word}"
        )
    word = "more" if change > 0 else "fewer"
    text = f"{fmt_int(abs(change))} {word} {unit_word}"
    if relative is not None:
        text += f" ({abs(relative) * 100:.0f}% {direction})"
    return text


def change_cell(v: Value | None) -> Cell:
    """A count's change on the previous year: '-2,735 (-42%)', or only the percentage when the
    difference is from one to four."""
    if v is None:
        return Cell("", "change")
    if v.is_suppressed or v.change_absolute is None:
        return Cell(SUPPRESSED if v.is_suppressed else "", "change", suppressed=v.is_suppressed)
    relative = f"{v.change_relative * 100:+.0f}%" if v.change_relative is not None else ""
    if _small(v.change_absolute):
        return Cell(relative or ("up" if v.change_absolute > 0 else "down"), "change")
    text = f"{v.change_absolute:+,.0f}"
    if relative:
        text += f" ({relative})"
    return Cell(text, "change")


COMPARISON_WORDS = {**indicator_words.COMPARISON_WORDS, "suppressed": SUPPRESSED}

TREND_WORDS = {
    **indicator_words.TREND_WORDS,
    "insufficient_data": "Too few years",
    "not_applicable": "",
    "suppressed": SUPPRESSED,
}


def provisional_to(v: Value) -> str:
    """The date a provisional row's data reach (the end of its year when not recorded)."""
    if v.data_to:
        return v.data_to
    return f"{int(v.period[:4]) + 1}-03-31" if v.period[:4].isdigit() else v.period


def comparison_cell(v: Value | None) -> Cell:
    """Better/similar/worse for a final value; a provisional one is never judged (its
    follow-up has not passed) and says until when it is provisional."""
    if v is None:
        return Cell("", "comparison")
    if v.is_provisional and not v.is_suppressed and v.comparison != "suppressed":
        return Cell(f"Provisional to {provisional_to(v)}", "comparison", css="cmp-provisional")
    word = COMPARISON_WORDS.get(v.comparison, v.comparison)
    return Cell(
        word, "comparison", suppressed=v.comparison == "suppressed", css=f"cmp-{v.comparison}"
    )


def trend_cell(v: Value | None) -> Cell:
    if v is None:
        return Cell("", "trend")
    return Cell(TREND_WORDS.get(v.trend, v.trend), "trend", suppressed=v.trend == "suppressed")


def number(text: str, kind: str, suppressed: bool = False) -> Markup:
    """An inline number in prose, marked with its kind like table cells."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if suppressed:
        return Markup('<span class="num" data-kind="{}" data-suppressed="true">{}</span>').format(
            kind, Markup('<a class="supp" href="#note-suppressed">*</a>')
        )
    return Markup('<span class="num" data-kind="{}">{}</span>').format(kind, text)


def count_span(v: Value | None, field_name: str = "numerator") -> Markup:
    c = count_cell(v, field_name)
    return number(c.text, "count", c.suppressed)


def pct_span(v: Value | None, dp: int = 0) -> Markup:
    c = pct_cell(v, dp)
    return number(c.text, "percent", c.suppressed)


def esc(text: str) -> Markup:
    return escape(text)
