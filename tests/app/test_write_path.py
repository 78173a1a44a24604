"""The write path stays one package: outside ``ledger/`` nothing takes a row lock, writes an
order's rows, assigns a status, writes a timeline event, sends a signal, or queues work for
after commit. The rules are read from the code (its syntax tree, and a few patterns), so a new
module that breaks one fails here with the line to open."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import secu_marketplace

PACKAGE = Path(secu_marketplace.__file__).parent
LEDGER = PACKAGE / "ledger"
# The sandbox is the provider's emulator (its own models and statuses); migrations are history;
# the test kit builds fixtures for host shops' tests.
OUTSIDE = ("ledger", "sandbox", "migrations", "testing")

FORBIDDEN = {
    "creates a StatusEvent": re.compile(
        r"(?<!class )StatusEvent\(|StatusEvent\.objects\.(create|bulk_create)"
    ),
    "sends a signal": re.compile(r"signals\.send\(|\.send_robust\(|\bsend\(sender="),
    "assigns a status": re.compile(r"\.status\s*=(?!=)"),
    "queues after commit": re.compile(r"on_commit\("),
    "updates a status in bulk": re.compile(r"\.update\([^)]*\bstatus="),
}

# The rows the ledger owns, and the related managers that reach them from an order.
STATE_MODELS = {
    "Order",
    "SubBasket",
    "CheckoutAttempt",
    "PaymentTransaction",
    "Refund",
    "Supplier",
    # The books (issue 19): payouts recorded, money held until delivery.
    "Payout",
    "PayoutLine",
    "Hold",
}
RELATED = {"attempts", "payments", "refunds", "sub_baskets", "events"}
QUERYSET_WRITES = {
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}

# Where a pattern or a write is the definition itself, or not an order's state; each says why.
ALLOWED = {
    ("signals.py", "sends a signal"),  # signals.send, the helper the write path calls
    # Enqueues the push task after the push's row commits; the task writes through the ledger.
    ("tasks.py", "queues after commit"),
    # A new order's rows: there is no state to move yet and nothing to lock.
    ("builder.py", "writes Order"),
    ("builder.py", "writes SubBasket"),
    # The push inbox: what arrived and what became of it, not an order's state.
    ("services/pushes.py", "saves a row"),
    ("girocode.py", "saves a row"),  # segno's QR code, written to a buffer
}


def _modules() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] not in OUTSIDE:
            yield str(relative), path.read_text()


def _pattern_offences(relative: str, text: str) -> Iterator[str]:
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        for what, pattern in FORBIDDEN.items():
            if pattern.search(code) and (relative, what) not in ALLOWED:
                yield f"{relative}:{number} {what}: {line.strip()}"


def _write_of(call: ast.Call) -> str | None:
    """What ``call`` writes, if it takes a lock or writes a state row."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == "select_for_update":
        return "takes a row lock"
    if func.attr == "save":
        return "saves a row"
    if func.attr not in QUERYSET_WRITES:
        return None
    receiver = ast.unparse(func.value)
    for model in STATE_MODELS:
        if re.search(rf"\b{model}\.(objects|_default_manager)\b", receiver):
            return f"writes {model}"
    if any(re.search(rf"\.{name}\b", receiver) for name in RELATED):
        return f"writes through {receiver}"
    return None


def _write_offences(relative: str, text: str) -> Iterator[str]:
    calls = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call)]
    for node in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
        what = _write_of(node)
        if what and (relative, what) not in ALLOWED:
            yield f"{relative}:{node.lineno} {what}: {ast.unparse(node)[:80]}"


def test_only_the_write_path_changes_state() -> None:
    found = [line for relative, text in _modules() for line in _pattern_offences(relative, text)]
    assert found == []


def test_only_the_write_path_locks_or_writes_state_rows() -> None:
    found = [line for relative, text in _modules() for line in _write_offences(relative, text)]
    assert found == []


def test_the_guard_sees_a_write() -> None:
    """The rule above can fail: a lock, a save and a queryset write are each seen."""
    sample = (
        "Order.objects.select_for_update().get(pk=1)\n"
        "order.save(update_fields=['status'])\n"
        "Refund.objects.filter(pk=1).update(state='done')\n"
        "order.payments.create(pci_id='x')\n"
        "data.update(x=1)\n"  # a dict: not a write
    )
    assert [line.split(" ", 1)[1].split(":")[0] for line in _write_offences("x.py", sample)] == [
        "takes a row lock",
        "saves a row",
        "writes Refund",
        "writes through order.payments",
    ]


def test_the_write_path_documents_its_lock_order() -> None:
    text = (LEDGER / "__init__.py").read_text()
    order = [
        "1. the order",
        "2. the checkout attempt",
        "3. the order's Payment Transaction rows",
        "4. the order's refund records",
        "5. a sub-basket",
    ]
    assert all(step in text for step in order)


# Flow modules read provider answers only through secu_marketplace.provider.answers's dataclasses.
FLOWS = ["checkout", "sync", "lost_create", "bulk_sync", "capture", "refunds", "shipping"]
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
