"""``python -m tests.benchmarks`` (``make bench``): run every benchmark and print the table."""

from __future__ import annotations

from tests.benchmarks import main

raise SystemExit(main())
