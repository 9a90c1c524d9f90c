"""``python -m orchestration.cli``: the ``smw`` command."""

from orchestration.cli import main

raise SystemExit(main())
