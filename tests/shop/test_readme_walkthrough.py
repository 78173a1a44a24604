"""The README's "What the demo shows" names the buttons and links the buyer really sees."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    *ROOT.glob("templates/**/*.html"),
    *ROOT.glob("secu_marketplace/templates/**/*.html"),
    *ROOT.glob("secu_marketplace/sandbox/templates/**/*.html"),
]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## What the demo shows")
    return readme[start : readme.index("\n## ", start + 1)]


def labels() -> set[str]:
    """Every {% translate "…" %} of the templates, and each blocktranslate's words before its
    first placeholder ("Pay {{ amount }}" gives "Pay")."""
    found: set[str] = set()
    for template in TEMPLATES:
        text = template.read_text()
        found.update(re.findall(r'{% translate "([^"]+)" %}', text))
        for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text):
            found.add(body.split("{{")[0].strip())
    return found


def test_every_button_the_walkthrough_names_is_on_a_page() -> None:
    named = re.findall(r"\*\*([^*]+)\*\*", walkthrough().replace("\n   ", " "))
    assert len(named) >= 10
    missing = sorted(set(named) - labels())
    assert not missing, f"the README names buttons no page shows: {missing}"


def test_place_order_comes_before_pay_now() -> None:
    text = walkthrough()
    assert text.index("**Place order**") < text.index("**Pay now**")
