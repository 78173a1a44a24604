"""Django's default SQLite settings under concurrent buyers (issue: "database is locked").

Starts the demo project on a throwaway SQLite file configured as ``startproject`` leaves it (no
OPTIONS: transactions begin DEFERRED), with the sandbox sending pushes from its background
thread, and lets N buyers at once press "Pay now", authorise a prepayment and come back twice.
Prints how many requests answered 5xx, how many pushes were not acknowledged with 200, and how
often the server logged "database is locked" - once with the app's ``SQLITE_IMMEDIATE`` (the
default) and once without it, for comparison.

    .venv/bin/python benchmarks/sqlite_defaults.py            # N=10 buyers
    N=20 .venv/bin/python benchmarks/sqlite_defaults.py
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SETTINGS = """
import os
from demo_project.settings import *  # noqa: F403
# As startproject leaves it: no OPTIONS, so Django's DEFERRED transactions.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB"]}}
SECU_MARKETPLACE = {**SECU_MARKETPLACE, "SQLITE_IMMEDIATE": os.environ["BENCH_IMMEDIATE"] == "1"}
SILENCED_SYSTEM_CHECKS = ["secu_marketplace.W006"]  # deferred on purpose, for the comparison
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(buyers: int, immediate: bool) -> dict[str, int]:
    workdir = Path(tempfile.mkdtemp(prefix="secu-sqlite-defaults-"))
    (workdir / "plain_settings.py").write_text(SETTINGS)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "plain_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{workdir}",
        "PORT": str(port),
        "BENCH_DB": str(workdir / "db.sqlite3"),
        "BENCH_IMMEDIATE": "1" if immediate else "0",
    }
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, capture_output=True)
    log = workdir / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
        sys.path[:0] = [str(ROOT), str(workdir)]
        import django

        django.setup()
        from secu_marketplace.sandbox import world
        from secu_marketplace.sandbox.models import PushDelivery
        from secu_marketplace.views.payment import order_status_url
        from tests.factories import guide_order

        orders = [guide_order() for _ in range(buyers)]
        token = requests.post(
            f"{base}/sandbox/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": world.GUIDE_CLIENT_ID,
                "client_secret": world.GUIDE_CLIENT_SECRET,
            },
            timeout=10,
        ).json()["access_token"]
        codes: list[int] = []

        def buyer(order: object) -> None:
            session = requests.Session()
            session.get(f"{base}{order_status_url(order)}", timeout=30)  # type: ignore[arg-type]
            pay = session.post(
                f"{base}{order.get_payment_url()}",  # type: ignore[attr-defined]
                data={"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
                allow_redirects=False,
                timeout=30,
            )
            codes.append(pay.status_code)
            found = re.search(r"STX_[A-Z0-9]{30}", pay.headers.get("Location", ""))
            if not found:
                return
            authorised = session.post(
                f"{base}/sandbox/api/v2/Smart/Transactions/{found.group(0)}/prepare/prepaid",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            codes.append(authorised.status_code)
            if authorised.ok:
                back = authorised.json()["application_context"]["return_urls"]["url_success"]
                for _ in range(2):
                    codes.append(session.get(back, timeout=30).status_code)

        threads = [threading.Thread(target=buyer, args=(order,)) for order in orders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 60  # the background sender's last pushes
        while PushDelivery.objects.filter(state="pending").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        pushes = list(PushDelivery.objects.values_list("last_status_code", flat=True))
        from django.db import connections

        connections.close_all()
        return {
            "requests": len(codes),
            "5xx": sum(1 for code in codes if code >= 500),
            "pushes": len(pushes),
            "pushes not 200": sum(1 for code in pushes if code != 200),
            "database is locked": log.read_text().count("database is locked"),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    buyers = int(os.environ.get("N", "10"))
    # Each run in its own process: Django is set up once per process, for one settings module.
    mode = os.environ.get("BENCH_MODE")
    if mode:
        result = run(buyers, immediate=mode == "immediate")
        print("  " + ", ".join(f"{key}: {value}" for key, value in result.items()))
        return
    print(f"Django's default SQLite settings, {buyers} buyers at once (pay, authorise, return x2)")
    print("database: SQLite, temporary file, always (the subject; BENCH_DATABASE_URL is not used)")
    for mode, label in (("immediate", "SQLITE_IMMEDIATE on (default)"), ("deferred", "off")):
        print(f"- {label}:", flush=True)
        subprocess.run([PYTHON, __file__], env={**os.environ, "BENCH_MODE": mode}, check=True)


if __name__ == "__main__":
    main()
