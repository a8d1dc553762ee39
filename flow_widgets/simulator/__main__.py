"""``python -m flow_widgets.simulator --port 8787``: serve the simulator on loopback."""

from __future__ import annotations

import sys

from flow_widgets.simulator.command import main

if __name__ == "__main__":
    sys.exit(main())
