"""German is shipped complete: every message translated, none fuzzy, and the compiled catalogs
that are committed match their sources."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    ROOT / "secu_marketplace/locale/de/LC_MESSAGES/django.po",
    ROOT / "secu_marketplace/sandbox/locale/de/LC_MESSAGES/django.po",
    ROOT / "demo_project/locale/de/LC_MESSAGES/django.po",
]


def entries(path: Path) -> list[dict[str, str]]:
    """A small .po reader: enough for Django's catalogs (msgctxt, plurals, continuations)."""
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*path.read_text().splitlines(), ""]:
        if not line.strip():
            if current:
                found.append(current)
            current, key = {}, ""
        elif line.startswith("#,"):
            current["flags"] = line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return found


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_german_catalog_is_complete_and_compiled(path: Path) -> None:
    catalog = gettext.GNUTranslations(path.with_suffix(".mo").open("rb"))
    messages = [e for e in entries(path) if e.get("msgid")]
    assert messages
    for entry in messages:
        assert "fuzzy" not in entry.get("flags", ""), entry["msgid"]
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            assert entry["msgstr[0]"], entry["msgid"]
            assert entry["msgstr[1]"], entry["msgid"]
            continue
        assert entry["msgstr"], f"untranslated: {entry['msgid']!r}"
        compiled = (
            catalog.pgettext(context, entry["msgid"])
            if context
            else catalog.gettext(entry["msgid"])
        )
        assert compiled == entry["msgstr"], (
            f"{path.with_suffix('.mo').name} is stale for {entry['msgid']!r}"
        )
