"""The takes suite runs cells in the magics suite's IPython shell against its fast simulator."""

from tests.magics.conftest import shell, simulator

__all__ = ["shell", "simulator"]
