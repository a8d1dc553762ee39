"""``python -m tests.reliability``: run the reliability scenarios and print the one table."""

from __future__ import annotations

import sys

from tests.reliability.report import main

sys.exit(main())
