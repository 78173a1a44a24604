"""The README's install section, run as it stands in a fresh ``django-admin startproject``.

The snippets are taken from README.md itself (by their first line), pasted where the README says,
and run in subprocesses with this interpreter, where the package is installed: ``migrate``,
``check``, creating the suppliers and an order in ``manage.py shell``, and the README's pytest
example, a paid order through the sandbox on pytest-django's live server. Any deprecation warning
fails it. The documentation includes the same snippets from docs/examples/, kept identical here.
Only the ``pip install`` line is not run (the package is installed already; ``make dist`` and
its twine check cover the wheel).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EXAMPLES = ROOT / "docs" / "examples"

pytestmark = pytest.mark.readme

# Each snippet the test runs, by how its block in the README's install section begins.
SNIPPETS = {
    "settings.py": "# settings.py, below what startproject wrote\n",
    "urls.py": "# urls.py\n",
    "suppliers.py": "from secu_marketplace.models import Supplier\n",
    "order.py": "from secu_marketplace.builder import Buyer, Item, Shipping, SupplierBasket,",
    "test_payments.py": "# test_payments.py: a paid order through the sandbox",
}
# Warnings that must not appear: Django's deprecations above all.
STRICT = ["-W", "error::DeprecationWarning", "-W", "error::PendingDeprecationWarning"]


def readme_blocks() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Installing the app in your shop") :]
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    found: dict[str, str] = {}
    for name, start in SNIPPETS.items():
        matches = [block for block in blocks if block.startswith(start)]
        assert matches, f"README.md has no block starting with {start!r}"
        found[name] = matches[0]
    return found


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, fails: bool = False) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process: a shop has none.
        if key
        not in (
            "DJANGO_SETTINGS_MODULE",
            "TEST_DATABASE_URL",
            "PYTHONPATH",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
        and not key.startswith("SECUCONNECT_")
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, *STRICT, *args],
        cwd=cwd,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode != 0) is fails, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


# Going live as the documentation's page says: the same settings, secupay's credentials and the
# production switch in the environment.
PRODUCTION = {
    "SECUCONNECT_ENVIRONMENT": "production",
    "SECUCONNECT_CLIENT_ID": "client-from-secupay",
    "SECUCONNECT_CLIENT_SECRET": "secret-from-secupay",
    "SECUCONNECT_CONTRACT_ID": "GCR_" + "L" * 30,
    "SITE_URL": "https://shop.example",
}
API_URL = "from secu_marketplace.conf import app_settings; print('host', app_settings.api_url)"


def test_the_documentation_shows_the_same_snippets() -> None:
    blocks = readme_blocks()
    for name in ("settings.py", "urls.py", "suppliers.py", "test_payments.py"):
        assert (EXAMPLES / name).read_text(encoding="utf-8") == blocks[name], name


def test_the_install_section_runs_in_a_fresh_startproject(tmp_path: Path) -> None:
    blocks = readme_blocks()
    run("-m", "django", "startproject", "shop", ".", cwd=tmp_path)
    for name in ("settings.py", "urls.py"):
        with (tmp_path / "shop" / name).open("a", encoding="utf-8") as target:
            target.write("\n" + blocks[name])

    run("manage.py", "migrate", "--verbosity", "0", cwd=tmp_path)
    assert "no issues" in run("manage.py", "check", "--fail-level", "WARNING", cwd=tmp_path)

    code = blocks["suppliers.py"] + blocks["order.py"]
    code += "print('order', order.reference, order.total, order.sub_baskets.count())\n"
    assert "order 100023 7785 2" in run("manage.py", "shell", "--command", code, cwd=tmp_path)

    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = shop.settings\n")
    (tmp_path / "test_payments.py").write_text(blocks["test_payments.py"], encoding="utf-8")
    out = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "test_payments.py", cwd=tmp_path)
    assert "1 passed" in out

    # Then going live: the real provider, and nothing of the sandbox left.
    live = run("manage.py", "check", "--deploy", cwd=tmp_path, env=PRODUCTION)
    assert re.findall(r"secu_marketplace\.[EW]\d+", live) == ["secu_marketplace.W007"]  # SQLite
    shell = run("manage.py", "shell", "--command", API_URL, cwd=tmp_path, env=PRODUCTION)
    assert "host https://connect.secucard.com" in shell
    # A shop that keeps the sandbox (or points API_URL at it) in production refuses to start.
    settings = tmp_path / "shop" / "settings.py"
    settings.write_text(
        settings.read_text()
        + '\nINSTALLED_APPS += ["secu_marketplace.sandbox"]\n'
        + 'SECU_MARKETPLACE["API_URL"] = "http://127.0.0.1:8000/sandbox"\n'
    )
    refused = run("manage.py", "check", "--deploy", cwd=tmp_path, env=PRODUCTION, fails=True)
    assert "secu_marketplace.E013" in refused
    assert "secu_marketplace.E016" in refused
