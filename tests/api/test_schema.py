"""The headless API's OpenAPI 3 schema validates and describes exactly the API's endpoints; its
interactive page loads nothing from the internet; the app works without REST framework."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]


def schema() -> dict:
    answer = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert answer.status_code == 200
    return json.loads(answer.content)


def test_the_schema_is_valid_openapi_3() -> None:
    document = schema()
    validate(document)  # raises on anything OpenAPI 3 does not allow
    assert document["openapi"].startswith("3.")
    assert sorted(document["paths"]) == [
        "/api/orders/{token}/",
        "/api/orders/{token}/checkout/",
        "/api/orders/{token}/methods/",
    ]


def test_operations_name_their_answers_and_errors() -> None:
    paths = schema()["paths"]
    checkout = paths["/api/orders/{token}/checkout/"]["post"]
    assert set(checkout["responses"]) == {"200", "400", "404", "409", "502", "503"}
    assert checkout["operationId"] == "order_checkout"
    assert "security" not in checkout or checkout["security"] in ([], [{}])
    read = paths["/api/orders/{token}/"]["get"]
    order = read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert order == "#/components/schemas/Order"


def test_typed_fields() -> None:
    components = schema()["components"]["schemas"]
    order = components["Order"]["properties"]
    assert order["total"]["type"] == "integer"
    assert order["paid"]["type"] == "boolean"
    assert order["parts"]["items"]["$ref"] == "#/components/schemas/Part"
    assert components["Part"]["properties"]["shipped_at"]["format"] == "date-time"
    assert set(components["StatusEnum"]["enum"]) >= {"new", "paid", "pending", "refunded"}
    assert "prepaid" in components["PaymentMethodEnum"]["enum"]


def test_the_interactive_page_is_served_from_the_installed_package() -> None:
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]
    assert "/api/schema/" in html


BLOCKED = """
import importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("rest_framework", "drf_spectacular", "drf_spectacular_sidecar"):
            raise ImportError(f"{name} is not installed")
        return None

sys.meta_path.insert(0, Block())
import django
from django.conf import settings

settings.configure(
    DEBUG=True,  # a developer's machine: the sandbox is installed
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.admin",
                    "django.contrib.sessions", "django.contrib.messages",
                    "secu_marketplace", "secu_marketplace.sandbox"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    ROOT_URLCONF="secu_marketplace.urls",
    SECU_MARKETPLACE={},
)
django.setup()
import secu_marketplace
skipped = []
for info in pkgutil.walk_packages(secu_marketplace.__path__, "secu_marketplace."):
    if info.name.startswith(("secu_marketplace.api", "secu_marketplace.testing")):
        skipped.append(info.name)
        continue
    __import__(info.name)
try:
    import secu_marketplace.api.views
except ImportError as error:
    print("api needs:", error)
from django.core.checks import run_checks
run_checks()  # every check runs (the admin's complain about this bare configuration)
print("imported without REST framework; skipped", len(skipped))
"""


def test_the_app_works_without_rest_framework() -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", BLOCKED], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"api needs: (rest_framework|drf_spectacular) is not installed", done.stdout)
    assert "imported without REST framework" in done.stdout
