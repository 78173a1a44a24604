"""A scaled-out deployment for tests and benchmarks: two "machines", each a gunicorn server with
several worker processes, in front of one PostgreSQL and one Redis (the shared cache that holds
the OAuth token), serving the demo project with the sandbox mounted.

Both servers listen on one port (``SO_REUSEPORT``): the kernel spreads the connections over
them as a load balancer spreads them over machines, so a checkout, its return, its pushes and
the sandbox calls they make land on different servers and processes. docs/deployment.md shows
the same commands for a real deployment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Deployment:
    app_url: str
    api_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def start(
    database_url: str, cache_url: str, *, workers: int = 2, threads: int = 4, timeout: float = 60
) -> Deployment:
    """Start both servers and wait until they answer; ``stop()`` ends them."""
    port = free_port()
    app_url = api_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_DATABASE_URL": database_url,
        "SECU_TEST_CACHE_URL": cache_url,
        "SITE_URL": app_url,
        "SECUCONNECT_API_URL": f"{api_url}/sandbox",
        "DEBUG": "0",
        # The test process signs the push and return links these servers check.
        "SECRET_KEY": settings.SECRET_KEY,
    }
    deployment = Deployment(app_url=app_url, api_url=api_url)
    for _machine in range(2):
        deployment.processes.append(
            subprocess.Popen(  # noqa: S603 - the project's own WSGI app
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "demo_project.wsgi:application",
                    f"--bind=127.0.0.1:{port}",
                    f"--workers={workers}",
                    "--worker-class=gthread",
                    f"--threads={threads}",
                    "--reuse-port",
                    "--log-level=warning",
                    # Two servers on one host would share the default control socket.
                    "--no-control-socket",
                ],
                cwd=ROOT,
                env=env,
            )
        )
    deadline = time.monotonic() + timeout
    for url in (app_url,):
        while True:
            try:
                requests.get(f"{url}/sandbox/", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or its workers still booting
                if time.monotonic() > deadline or any(
                    p.poll() is not None for p in deployment.processes
                ):
                    deployment.stop()
                    raise RuntimeError(f"gunicorn on {url} did not start") from None
                time.sleep(0.2)
    return deployment
