"""Charts kept between report runs: a chart is a pure function of its arguments (its id, which
also salts the SVG's ids, and its data, labels and options), so a chart drawn before with the
same arguments by the same chart code is read back instead of drawn again. Drawing is nearly
all of a report run's time (~0.07 s a chart, hundreds of charts), and a build that changes
some figures changes some charts only: the others are read from the cache.

The key is a SHA-256 of the chart function's name and the ``repr`` of its arguments, with the
source of this package and matplotlib's version: a change to any chart's code or to matplotlib
draws everything again. An argument whose ``repr`` does not show its state would only make the
key differ from run to run, or match another chart's (an address reused): an argument whose
repr is the default object repr is never cached. Entries are written
atomically (a worker process may be writing beside another); a run that drew every page
removes the entries it did not use (:func:`prune`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
from markupsafe import Markup

log = logging.getLogger(__name__)

#: The cache folder of this process (None: draw every chart); set by the report pages' writer.
_folder: Path | None = None


@contextlib.contextmanager
def kept_in(folder: Path | None) -> Iterator[None]:
    """Within the block, keep this process's charts in ``folder`` (created when needed; None:
    draw every chart)."""
    global _folder
    before, _folder = _folder, folder
    try:
        yield
    finally:
        _folder = before


def _code_version() -> str:
    """What a chart's drawing depends on besides its arguments: this package's source (read
    once, at import, so that code changed under a running process is not mistaken for the code
    that draws), the versions of matplotlib, numpy and markupsafe, and matplotlib's settings
    (a matplotlibrc may set what the house style leaves)."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for package in ("matplotlib", "numpy", "markupsafe"):
        digest.update(f"{package} {version(package)};".encode())
    digest.update(repr(sorted(matplotlib.rcParams.items())).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


_CODE_VERSION = _code_version()

#: In a repr, the mark of an object that does not show its state (the default object repr,
#: with its address): such an argument could match another chart's, so it is never cached.
_OPAQUE = re.compile(r" at 0x[0-9a-fA-F]+>")


def key(name: str, chart_id: str, args: tuple, kwargs: dict) -> str | None:
    """The cache key of a chart, or None when an argument does not show its state."""
    text = repr((_CODE_VERSION, name, chart_id, args, sorted(kwargs.items())))
    if _OPAQUE.search(text):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def drawn(
    name: str, chart_id: str, args: tuple, kwargs: dict, draw: Callable[[], Markup]
) -> Markup:
    """The chart's SVG from the cache, or ``draw()`` kept in it."""
    folder = _folder
    if folder is None or (entry := key(name, chart_id, args, kwargs)) is None:
        return draw()
    path = folder / f"{entry}.svg"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    if _whole(text):
        with contextlib.suppress(OSError):
            os.utime(path)  # used by this run: kept by prune
        return Markup(text)  # our own SVG, escaped when it was drawn
    svg = draw()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(str(svg), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a read-only folder: the page still gets its chart
        log.warning("chart %s not kept in %s: %s", chart_id, folder, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
    return svg


def _whole(text: str) -> bool:
    """An entry as this module writes it (one SVG element), not a damaged or foreign file."""
    return text.startswith("<svg ") and text.rstrip().endswith("</svg>")


def prune(folder: Path, since: float) -> int:
    """Remove the charts no run has used or drawn since ``since`` (a time.time()); returns how many."""
    removed = 0
    try:
        entries = list(folder.iterdir()) if folder.is_dir() else []
    except OSError as exc:
        log.warning("chart cache %s not pruned: %s", folder, exc)
        return removed
    for path in entries:
        try:
            if path.is_file() and path.stat().st_mtime < since:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:  # another owner's file, a read-only folder: kept, never fatal
            log.warning("chart cache entry %s not removed: %s", path, exc)
    return removed


def now() -> float:
    """A start time for :func:`prune`, a little early for file systems with coarse times."""
    return time.time() - 2.0
