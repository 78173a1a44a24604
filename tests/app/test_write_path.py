"""The write path stays one module: nothing outside ``ledger/`` assigns an order's
status, writes a timeline event, sends a signal, or queues work for after commit."""

from __future__ import annotations

import re
from pathlib import Path

import secu_marketplace

PACKAGE = Path(secu_marketplace.__file__).parent
WRITE_PATH = PACKAGE / "ledger" / "__init__.py"
# The sandbox is the provider's emulator (its own models and statuses); migrations are history.
OUTSIDE = ("sandbox", "migrations")

FORBIDDEN = {
    "creates a StatusEvent": re.compile(
        r"(?<!class )StatusEvent\(|StatusEvent\.objects\.(create|bulk_create)"
    ),
    "sends a signal": re.compile(r"signals\.send\(|\.send_robust\(|\bsend\(sender="),
    "assigns a status": re.compile(r"\.status\s*=(?!=)"),
    "queues after commit": re.compile(r"on_commit\("),
    "updates a status in bulk": re.compile(r"\.update\([^)]*\bstatus="),
}
# Where each pattern is the definition itself, not a write.
ALLOWED = {
    ("signals.py", "sends a signal"),  # signals.send, the helper the write path calls
    # Enqueues the push task after the push's row commits; the task writes through the ledger.
    ("tasks.py", "queues after commit"),
}


def _offences() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path == WRITE_PATH or relative.parts[0] in OUTSIDE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            for what, pattern in FORBIDDEN.items():
                if pattern.search(code) and (str(relative), what) not in ALLOWED:
                    found.append(f"{relative}:{number} {what}: {line.strip()}")
    return found


def test_only_the_write_path_changes_state() -> None:
    assert _offences() == []


def test_the_write_path_documents_its_lock_order() -> None:
    text = WRITE_PATH.read_text()
    order = ["1. the order", "2. the checkout attempt", "3. the order's Payment Transaction rows"]
    assert all(step in text for step in order)
    assert "4. the order's refund records" in text


# Flow modules read provider answers only through secu_marketplace.provider.answers's dataclasses.
FLOWS = [
    "checkout",
    "sync",
    "lost_create",
    "bulk_sync",
    "processing",
    "refund_records",
]
RAW_READ = re.compile(r"""\.get\(["']|\[["'](status|details|id|amount|transactions)["']\]""")
BARE_SIMPLE = re.compile(r"status_simple\s*(==|in)\s*[\d({\[]\s*\d")


def test_flows_never_read_raw_provider_dicts_or_bare_status_numbers() -> None:
    found = []
    for name in FLOWS:
        path = PACKAGE / "services" / f"{name}.py"
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.rstrip().endswith("# own data"):
                continue
            code = line.split("#", 1)[0]
            if RAW_READ.search(code) or BARE_SIMPLE.search(code):
                found.append(f"services/{name}.py:{number}: {line.strip()}")
    assert found == []


def test_the_flows_import_each_other_at_the_top() -> None:
    """checkout, lost_create and sync no longer form an import cycle hidden by local imports."""
    local = [
        f"{path.name}:{number}"
        for path in sorted((PACKAGE / "services").glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.match(r"\s+from \.", line)
    ]
    assert local == []
