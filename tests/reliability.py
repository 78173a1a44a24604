"""``make reliability``: run what was tried against the money paths and print what held.

Runs, on PostgreSQL (TEST_DATABASE_URL or SECU_TEST_POSTGRES_URL), the fault matrix (every
entry point × every fault), the race tests, the property tests and the input checks, then
prints the tables that docs/reliability.md shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

SUITES = [
    "tests/flows/test_fault_matrix.py",
    "tests/flows/test_money_paths.py",
    "tests/flows/test_resilience.py",
    "tests/flows/test_reconcile.py",
    "tests/app/test_decide.py",
    "tests/app/test_public_inputs.py",
    "tests/app/test_write_path.py",
]
# Tests beyond the matrix, grouped as the docs show them.
GROUPS = {
    "races (deterministic or bursts)": (
        "concurrent",
        "three_concurrent",
        "in_flight",
        "slow_create",
        "two_runs_at_once",
        "together",
    ),
    "lost answers and late landings": ("late_", "lost", "failed_before", "refused_for"),
    "property tests (hypothesis, no database)": ("no_sequence", "second_attempt", "once_done"),
    "public inputs": ("nul", "e_mail", "currency", "cart_url"),
    "write path": ("only_the_write_path", "lock_order"),
}


def _database() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("SECU_TEST_POSTGRES_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "make reliability needs PostgreSQL: set TEST_DATABASE_URL=postgres://... "
            "(.ci/run shows how to start a throwaway cluster)"
        )
    return url


def main() -> int:
    url = _database()
    with tempfile.TemporaryDirectory() as tmp:
        cells, junit = Path(tmp, "cells.jsonl"), Path(tmp, "junit.xml")
        env = {**os.environ, "TEST_DATABASE_URL": url, "SECU_RELIABILITY_REPORT": str(cells)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-m", "not e2e", f"--junitxml={junit}", *SUITES]
        run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        rows = (
            [json.loads(line) for line in cells.read_text().splitlines()] if cells.exists() else []
        )
        cases = _cases(junit)
    _print_matrix(rows)
    _print_groups(cases)
    print(f"\npytest exit status: {run.returncode}")
    if run.returncode:
        print(run.stdout[-3000:])
    return run.returncode


def _cases(junit: Path) -> dict[str, bool]:
    if not junit.exists():
        return {}
    found: dict[str, bool] = {}
    for case in ET.parse(junit).iter("testcase"):  # noqa: S314
        if case.find("skipped") is not None:
            continue
        found[case.get("name", "")] = case.find("failure") is None and case.find("error") is None
    return found


def _print_matrix(rows: list[dict]) -> None:
    faults = list(dict.fromkeys(row["fault"] for row in rows))
    entries = list(dict.fromkeys(row["entry"] for row in rows))
    grid: dict[tuple[str, str], dict] = {(row["entry"], row["fault"]): row for row in rows}
    held = sum(1 for row in rows if row["held"])
    print(f"## Fault matrix: {held} of {len(rows)} cells held\n")
    print("| entry point | " + " | ".join(faults) + " |")
    print("|---|" + "---|" * len(faults))
    for entry in entries:
        cells = []
        for fault in faults:
            row = grid.get((entry, fault))
            if row is None:
                cells.append("–")
                continue
            answered = ",".join(str(code) for code in row.get("answered", []))
            cells.append(f"{'held' if row['held'] else '**FAILED**'} ({answered})")
        print(f"| {entry} | " + " | ".join(cells) + " |")
    money = defaultdict(int)
    for row in rows:
        money[row["entry"]] = max(money[row["entry"]], row.get("money_calls", 0))
    print(
        "\nCell: what held, and what our entry point answered while the fault lasted (HTTP "
        "status; for secu_sync its exit status). Most successful money-moving calls in any "
        "cell: " + ", ".join(f"{entry} {count}" for entry, count in money.items() if count) + "."
    )


def _print_groups(cases: dict[str, bool]) -> None:
    print("\n## Races, lost answers, properties, inputs\n")
    print("| group | tests | held |")
    print("|---|---|---|")
    for group, needles in GROUPS.items():
        names = [name for name in cases if any(n in name for n in needles)]
        names = [name for name in names if not name.startswith("test_fault_matrix")]
        passed = sum(1 for name in names if cases[name])
        print(f"| {group} | {len(names)} | {passed} |")


if __name__ == "__main__":
    sys.exit(main())
