"""The README's install section and the testing page's examples, run as they stand in a fresh
``django-admin startproject``.

The snippets are taken from README.md itself (by their first line), pasted where the README says,
and run in subprocesses with this interpreter, where the package is installed: ``migrate``,
``check``, creating the suppliers and an order in ``manage.py shell``, and the README's pytest
examples, a paid order through the sandbox on pytest-django's live server. In the same project,
docs/testing.md's examples (docs/examples/testing/, included by the page as they are) run with
``pytest`` (the package's plugin and its ``secu_sandbox`` fixture) and with ``manage.py test``
(the ``LiveServerTestCase`` mixin), and a project without the sandbox gets the kit's message.
Any deprecation warning fails it. The documentation includes the README's snippets from
docs/examples/, kept identical here. Only the ``pip install`` line is not run (the package is
installed already; ``make dist`` and its twine check cover the wheel).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
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
    "test_kit.py": "from secu_marketplace.testing.factories import OrderFactory\n\n\ndef test_",
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


# This process's own settings (and the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE): a shop has none.
OURS = ("DJANGO_SETTINGS_MODULE", "TEST_DATABASE_URL", "PYTHONPATH", "DJANGO_ALLOW_ASYNC_UNSAFE")


def clean_env() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if key not in OURS and not key.startswith("SECUCONNECT_")
    }


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, fails: bool = False) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, *STRICT, *args],
        cwd=cwd,
        env={**clean_env(), **(env or {})},
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
    for name in ("settings.py", "urls.py", "suppliers.py", "order.py", "test_payments.py"):
        assert (EXAMPLES / name).read_text(encoding="utf-8") == blocks[name], name


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh startproject with the README's settings and URLs, migrated."""
    where = tmp_path_factory.mktemp("shop")
    blocks = readme_blocks()
    run("-m", "django", "startproject", "shop", ".", cwd=where)
    for name in ("settings.py", "urls.py"):
        with (where / "shop" / name).open("a", encoding="utf-8") as target:
            target.write("\n" + blocks[name])
    run("manage.py", "migrate", "--verbosity", "0", cwd=where)
    (where / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = shop.settings\n")
    return where


def test_the_install_section_runs_in_a_fresh_startproject(project: Path) -> None:
    blocks = readme_blocks()
    assert "no issues" in run("manage.py", "check", "--fail-level", "WARNING", cwd=project)

    code = blocks["suppliers.py"] + blocks["order.py"]
    code += "print('order', order.reference, order.total, order.sub_baskets.count())\n"
    out = run("manage.py", "shell", "--command", code, cwd=project)
    assert "order 100023 7785 2" in out
    # The page to open to pay for it, printed by the README's own snippet.
    assert re.search(r"Pay for it at http://127\.0\.0\.1:8000/payments/order/[\w-]+/\n", out)

    for name in ("test_payments.py", "test_kit.py"):
        (project / name).write_text(blocks[name], encoding="utf-8")
    out = run(
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "test_payments.py",
        "test_kit.py",
        cwd=project,
    )
    assert "2 passed" in out


def test_the_testing_page_runs_in_a_fresh_startproject(project: Path) -> None:
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    for example in sorted((EXAMPLES / "testing").glob("*.py")):
        assert f'--8<-- "testing/{example.name}"' in page  # the page shows it as it is
        (project / example.name).write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    out = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shop.py", cwd=project)
    assert "6 passed" in out
    out = run("manage.py", "test", "test_shop_django", "--noinput", cwd=project)
    assert "Ran 2 tests" in out
    assert "OK" in out


def test_the_kit_says_what_a_project_without_the_sandbox_must_add(project: Path) -> None:
    (project / "shop" / "settings_without_sandbox.py").write_text(
        "from .settings import *  # noqa\n"
        "INSTALLED_APPS = [a for a in INSTALLED_APPS if a != 'secu_marketplace.sandbox']\n"
    )
    (project / "test_unmounted.py").write_text(
        "def test_needs_the_sandbox(secu_sandbox):\n    pass\n", encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_unmounted.py",
            "--ds",
            "shop.settings_without_sandbox",
        ],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'secu_marketplace.sandbox' is not in INSTALLED_APPS" in done.stdout
    assert 'path("sandbox/", include("secu_marketplace.sandbox.urls"))' in done.stdout


def test_then_going_live_leaves_the_real_provider_or_refuses_to_start(
    project: Path, tmp_path: Path
) -> None:
    shop = tmp_path / "live"
    shutil.copytree(project, shop)
    settings = shop / "shop" / "settings.py"
    # going-live.md, step 2: a real mail server (Django 6.1's startproject mails to the console).
    settings.write_text(
        settings.read_text()
        + '\nMAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}\n'
    )
    live = run("manage.py", "check", "--deploy", cwd=shop, env=PRODUCTION)
    assert re.findall(r"secu_marketplace\.[EW]\d+", live) == ["secu_marketplace.W007"]  # SQLite
    shell = run("manage.py", "shell", "--command", API_URL, cwd=shop, env=PRODUCTION)
    assert "host https://connect.secucard.com" in shell
    # A shop that keeps the sandbox (or points API_URL at it) in production refuses to start.
    settings.write_text(
        settings.read_text()
        + '\nINSTALLED_APPS += ["secu_marketplace.sandbox"]\n'
        + 'SECU_MARKETPLACE["API_URL"] = "http://127.0.0.1:8000/sandbox"\n'
    )
    refused = run("manage.py", "check", "--deploy", cwd=shop, env=PRODUCTION, fails=True)
    assert "secu_marketplace.E013" in refused
    assert "secu_marketplace.E016" in refused
