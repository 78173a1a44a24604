"""The documentation site as a reader gets it: built by MkDocs (as ``make docs`` does), opened
from disk and offline. Its pages link each other as files (``page.html``, never a folder, which
``file://`` shows as a listing), load nothing from the internet (no web fonts, no CDN), its search
index finds what readers look for, and the generated reference lists the public API."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("mkdocs", reason="the docs tools come with make test's first leg (.[docs])")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    where = tmp_path_factory.mktemp("site")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(where)],
        cwd=ROOT,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    yield where
    shutil.rmtree(where, ignore_errors=True)


def pages(site: Path) -> list[Path]:
    # 404.html is served by a web server for a missing page; a file:// reader never sees it.
    return [page for page in site.rglob("*.html") if page.name != "404.html"]


def test_nothing_is_loaded_from_the_internet(site: Path) -> None:
    for path in [*site.rglob("*.html"), *site.rglob("*.css"), *site.rglob("*.js")]:
        assert "https://fonts." not in path.read_text(encoding="utf-8"), path
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assets = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
        assets += re.findall(r"<img[^>]*\ssrc=\"([^\"]+)\"", html)
        assets += re.findall(r"<link[^>]*\shref=\"([^\"]+)\"", html)
        external = [a for a in assets if a.startswith(("http:", "https:", "//"))]
        assert not external, f"{page.relative_to(site)} loads {external}"


def test_links_between_pages_are_file_links(site: Path) -> None:
    checked = 0
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        for href in re.findall(r"<a[^>]*\shref=\"([^\"]+)\"", html):
            if href.startswith(("http:", "https:", "mailto:", "#")):
                continue
            target = href.split("#")[0]
            assert target.endswith((".html", ".png", ".svg", ".md", ".txt")), (
                f"{page.relative_to(site)} links {href!r}: a folder, a listing on file://"
            )
            assert (page.parent / target).resolve().exists(), f"{page.name}: {href} is missing"
            checked += 1
    assert checked > 500


def test_the_search_index_works_offline_and_finds_what_readers_look_for(site: Path) -> None:
    inline = (site / "search" / "search_index.js").read_text(encoding="utf-8")
    assert inline.startswith("var __index = ")  # the offline plugin: no fetch() on file://
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = " ".join(doc["text"] + " " + doc["title"] for doc in index["docs"]).lower()
    for word in ("webhook", "refund", "chargeback", "test", "production"):
        assert re.search(rf"\b{word}", text), f"search finds no {word!r}"


@pytest.mark.parametrize(
    ("page", "names"),
    [
        ("models.html", ["Order", "SubBasket", "get_status_url", "Supplier", "OrderQuerySet"]),
        ("builder.html", ["build_order", "SupplierBasket", "Buyer", "to_minor"]),
        ("services.html", ["start_checkout", "refund", "ship_sub_basket", "accepted_methods"]),
        ("reading.html", ["order_balance", "OrderBalance", "PartBalance", "payment_page"]),
        ("rules.html", ["TRANSITIONS", "decide", "Plan", "Writer", "locked"]),
        ("signals.html", ["order_paid", "order_refunded", "sub_basket_shipped"]),
        ("settings.html", ["DEFAULTS", "check_settings", "CheckoutError", "following_server"]),
        ("testing.html", ["secu_sandbox", "Sandbox", "money_arrives", "OrderFactory"]),
        ("api.html", ["CheckoutView", "OrderSerializer"]),
        ("sandbox.html", ["inject", "deliver_pushes", "advance_clock"]),
    ],
)
def test_the_reference_is_generated_from_the_code(site: Path, page: str, names: list[str]) -> None:
    html = (site / "reference" / page).read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(secu_marketplace\.[\w.]+)"', html))
    missing = [name for name in names if not any(a.endswith(f".{name}") for a in anchors)]
    assert not missing, f"reference/{page} lacks {missing}"
