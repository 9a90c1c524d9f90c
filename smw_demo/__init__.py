"""Demo extract generator: realistic, linked, calibrated raw extracts for every source.

``generate(out_dir, scale, seed)`` writes ``out_dir/<source>/*.csv[.gz]`` following the raw
extract specification (``/work/shared/extract-spec.md``; ``orchestration.lib.spec``) for the
financial years 2013-14 to 2020-21 and the nine Cheshire & Merseyside authorities, plus
``out_dir/.demo-manifest.json`` describing what was written and every defect planted in it.
"""

from smw_demo.generator import MANIFEST_NAME, generate
from smw_demo.manifest import DemoManifest, FileRecord, PlantedDefect, SourceSummary

__all__ = [
    "MANIFEST_NAME",
    "DemoManifest",
    "FileRecord",
    "PlantedDefect",
    "SourceSummary",
    "generate",
]
