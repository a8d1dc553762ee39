"""``make demo-class``: a whole class on one machine, offline.

A throwaway PostgreSQL server (Debian's package), the simulator with three accounts, the
gateway as its own process, and one process per student, each asking for a few videos through
the gateway with its own token and following them to the end. Prints what each student got,
what each account ran at most at once, the teacher's view of the class (what ``fw.Class``
shows), and the spend against the budget. Nothing is kept.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import psycopg

from flow_widgets.api.classroom import ClassroomClient
from flow_widgets.gateway import store
from flow_widgets.ui.class_html import class_text
from tests.gateway.harness import (
    ACCOUNTS,
    PRICE,
    TEACHER_TOKEN,
    gateway_process,
    setup_class,
    sim_json,
    simulator,
)
from tests.gateway.pg_server import start_pg

STUDENT = """
import sys, time, httpx
base, token, videos = sys.argv[1], sys.argv[2], int(sys.argv[3])
h = {"Authorization": "Bearer " + token}
jobs = [httpx.post(base + "/videos", json={"prompt": f"take {n}"}, headers=h, timeout=30)
        for n in range(videos)]
ids = [j.json()["jobid"] for j in jobs if j.status_code == 201]
start, done = time.monotonic(), 0
for jobid in ids:
    while (r := httpx.get(base + "/jobs/" + jobid, headers=h, timeout=30).json())["status"] \\
            not in ("completed", "failed"):
        time.sleep(0.3)
    done += r["status"] == "completed"
print(f"{done} of {videos} videos in {time.monotonic() - start:.1f}s, "
      f"{videos - len(ids)} refused by the budget")
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="make demo-class", description=__doc__)
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--videos", type=int, default=3, help="videos per student")
    parser.add_argument("--cap", type=int, default=2, help="jobs each account runs at once")
    options = parser.parse_args()
    budget = options.students * options.videos * PRICE
    server = start_pg()
    try:
        url = server.url
        tokens = setup_class(url, options.students, allowance=budget, budget=budget)
        with simulator(time_scale=0.03) as sim, gateway_process(url, sim, caps=options.cap) as base:
            print(f"gateway {base}; {len(ACCOUNTS)} accounts x {options.cap} slots", flush=True)
            started = time.monotonic()
            students = [
                subprocess.Popen(
                    [sys.executable, "-c", STUDENT, base, token, str(options.videos)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for token in tokens
            ]
            for number, proc in enumerate(students):
                out, _ = proc.communicate(timeout=600)
                print(f"student s{number}: {out.strip()}")
            print(f"class done in {time.monotonic() - started:.1f}s")
            # What the teacher's panel (fw.Class) shows now, through the class endpoints.
            teacher = ClassroomClient(base, TEACHER_TOKEN)
            try:
                print(class_text(teacher.overview(), results=teacher.results()))
            finally:
                teacher.close()
            state = sim_json(sim, "/_sim/state")["accounts"]
            for email in ACCOUNTS:
                peak = state[email]["peakExecuting"]["videos"]
                print(f"{email}: at most {peak} videos at once (cap {options.cap})")
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT spent, budget FROM class_budget").fetchone()
            print(f"class spend: {row[0] if row else '?'} of {row[1] if row else '?'} credits")
            print("per student:", ", ".join(f"{n} {s}" for n, s, _, _ in store.spending(conn)))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
