"""The reliability and security suite (issue 8): faults, load, bad input and hostile text.

Each module covers one area of the targets R-01 … R-38 (see docs/reliability.md); every scenario
runs against the loopback simulator and records its figures for ``python -m tests.reliability``.
"""
