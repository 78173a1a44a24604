"""The documentation's reference pages name everything they claim to list: every key of
``SECU_MARKETPLACE`` and ``SECU_SANDBOX``, every system check, every signal, every page in the
navigation. (``make docs`` builds the site itself, with warnings as errors.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secu_marketplace import checks, safety, signals
from secu_marketplace.conf import DEFAULTS
from secu_marketplace.sandbox.conf import DEFAULTS as SANDBOX_DEFAULTS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_in_the_settings_reference(key: str) -> None:
    assert f"| `{key}` |" in page("settings.md")


@pytest.mark.parametrize("key", sorted(SANDBOX_DEFAULTS))
def test_every_sandbox_setting_is_in_the_settings_reference(key: str) -> None:
    assert f"| `{key}` |" in page("settings.md")


def test_every_system_check_is_in_the_settings_reference() -> None:
    source = "".join(
        Path(module.__file__).read_text(encoding="utf-8") for module in (checks, safety)
    )
    ids = set(re.findall(r'id=f"\{ID\}\.([EW]\d{3})"', source))
    assert len(ids) >= 25
    documented = set(re.findall(r"`secu_marketplace\.([EW]\d{3})`", page("settings.md")))
    assert documented == ids


def test_every_signal_is_on_the_signals_page() -> None:
    names = {name for name, value in vars(signals).items() if isinstance(value, signals.Signal)}
    assert len(names) == 20
    text = page("signals.md")
    assert {name for name in names if f"| `{name}` |" not in text} == set()


def test_every_page_is_in_the_navigation() -> None:
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {
        str(path.relative_to(DOCS))
        for path in DOCS.rglob("*.md")
        if path.name != "pypi.md" and "examples" not in path.parts
    }
    assert {p for p in pages if f" {p}\n" not in nav} == set()
