"""The demo generator (smw_demo) and the benchmark (smw_bench) are tools beside the runtime
package: loading the Dagster definitions, publishing or the CLI loads neither (the CLI imports
them only inside ``smw generate`` / ``smw demo`` / ``smw bench``)."""

from __future__ import annotations

import json
import subprocess
import sys

TOOLS = ("smw_demo", "smw_bench")


def test_runtime_modules_load_neither_the_demo_generator_nor_the_benchmark():
    code = (
        "import json, sys\n"
        "import orchestration.definitions, orchestration.lib.publish, orchestration.cli\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {TOOLS!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"runtime imports loaded {loaded}"


def test_the_tools_are_still_importable():
    code = "import smw_bench, smw_demo; print(smw_demo.generate.__module__)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.strip() == "smw_demo.generator"
