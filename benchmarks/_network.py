"""A provider in its own process, behind a network that takes time (not a benchmark itself).

- ``sandbox_process()``: the bundled sandbox served by ``runserver``'s threaded server (the demo
  project, ``DEBUG`` off, pushes held back) in a process of its own, on a database of its own (a
  SQLite file, or a database on ``BENCH_DATABASE_URL``'s PostgreSQL server), so that its work
  never shares the measured process's interpreter lock, as a real provider never would.
- ``delayed()``: a proxy in front of it, in another process, that holds every chunk of bytes for
  half a round trip in each direction and the first bytes of each connection for one more round
  trip (the TCP handshake a real network charges a new connection). With ``tls=True`` the proxy
  also terminates TLS (a self-signed certificate made at start with the ``openssl`` command),
  behind the delay, so every flight of the TLS handshake pays the round trip as well.
  ``REQUESTS_CA_BUNDLE`` is pointed at the certificate while the proxy runs.

Run as a script, this module is that proxy (``python _network.py proxy UPSTREAM_PORT RTT_MS
[CERT KEY]`` prints the port it listens on, then serves until killed) or that server
(``python _network.py serve PORT``, with the environment ``sandbox_process`` sets).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# --- the proxy (runs in its own process) ---------------------------------------------------------


# Half the round trip, in seconds; SIGUSR1 sets it to 0 and SIGUSR2 back (``Link.latency``), so
# one proxy, one URL, serves a whole benchmark (the sandbox's answers name the host they were
# asked at: another URL would make every stored answer look changed).
_half = [0.0, 0.0]


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: bool,
    first_extra: bool,
) -> None:
    """Copy ``reader`` to ``writer``, each chunk half a round trip late when ``delay`` (the first
    one a whole round trip more when ``first_extra``), in order, however many are in flight."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        extra = first_extra
        while True:
            try:
                data = await reader.read(65536)
            except (ConnectionError, ssl.SSLError):
                data = b""
            half = _half[0] if delay else 0.0
            await queue.put((loop.time() + half + (2 * half if extra else 0.0), data))
            extra = False
            if not data:
                return

    async def write() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, ssl.SSLError):
                break
        writer.close()

    await asyncio.gather(read(), write())


async def _serve(upstream_port: int, rtt_ms: float, cert: str | None, key: str | None) -> None:
    _half[:] = [rtt_ms / 2000, rtt_ms / 2000]
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: _half.__setitem__(0, 0.0))
    loop.add_signal_handler(signal.SIGUSR2, lambda: _half.__setitem__(0, _half[1]))
    target = upstream_port
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        async def terminate(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            ur, uw = await asyncio.open_connection("127.0.0.1", upstream_port)
            await asyncio.gather(_pipe(r, uw, False, False), _pipe(ur, w, False, False))

        tls = await asyncio.start_server(terminate, "127.0.0.1", 0, ssl=context, backlog=256)
        target = tls.sockets[0].getsockname()[1]

    async def delay(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        sock = w.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ur, uw = await asyncio.open_connection("127.0.0.1", target)
        uw.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(_pipe(r, uw, True, True), _pipe(ur, w, True, False))

    server = await asyncio.start_server(delay, "127.0.0.1", 0, backlog=256)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


# --- the benchmark's side ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(directory: str) -> tuple[str, str]:
    cert, key = str(Path(directory) / "cert.pem"), str(Path(directory) / "key.pem")
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    command += " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed for a self-signed certificate")
    subprocess.run(
        [openssl, *command.split()[1:], "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Link:
    url: str
    process: subprocess.Popen[str]

    def latency(self, on: bool) -> None:
        """Switch the added round trip off or on again (for chunks read from now on)."""
        self.process.send_signal(signal.SIGUSR2 if on else signal.SIGUSR1)
        time.sleep(0.05)  # the signal is handled by the proxy's loop, not at once


@contextmanager
def delayed(upstream: str, rtt_ms: float, *, tls: bool = False) -> Iterator[Link]:
    """``upstream`` (``http://127.0.0.1:PORT``) behind the delaying proxy; yields its ``Link``."""
    port = int(upstream.rsplit(":", 1)[1].split("/")[0])
    with tempfile.TemporaryDirectory(prefix="secu-bench-net-") as directory:
        extra = list(_self_signed(directory)) if tls else []
        process = subprocess.Popen(
            [sys.executable, __file__, "proxy", str(port), str(rtt_ms), *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        bundle = os.environ.get("REQUESTS_CA_BUNDLE")
        try:
            assert process.stdout is not None
            listening = int(process.stdout.readline())
            if tls:
                os.environ["REQUESTS_CA_BUNDLE"] = extra[0]
            yield Link(f"{'https' if tls else 'http'}://127.0.0.1:{listening}", process)
        finally:
            if tls:
                if bundle is None:
                    os.environ.pop("REQUESTS_CA_BUNDLE", None)
                else:
                    os.environ["REQUESTS_CA_BUNDLE"] = bundle
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def sandbox_process() -> Iterator[str]:
    """The sandbox in a ``runserver`` process of its own; yields "<base URL> (<its database>)"
    (``base_url`` takes the URL, without ``/sandbox``)."""
    import requests

    with (
        tempfile.TemporaryDirectory(prefix="secu-bench-sandbox-") as directory,
        _own_database(directory) as (database_url, described),
    ):
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo_project.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            # DEBUG off: a deliberate demo on the sandbox (docs: Going live), with a key.
            "SECU_DEMO_DEPLOYMENT": "1",
            "SECRET_KEY": "benchmark-sandbox-process-key",
            "SECU_SANDBOX_CONTROL_TOKEN": "benchmark-control-token",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PORT": str(port),
            "SECU_SANDBOX_PUSH_MODE": "manual",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("TEST_DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from secu_marketplace.sandbox import world; world.ensure_defaults()",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        process = subprocess.Popen(
            [sys.executable, __file__, "serve", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{url}/sandbox/api/v2/", timeout=2)
                    break
                except requests.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the sandbox process did not start") from None
                    time.sleep(0.2)
            yield f"{url} ({described})"
        finally:
            process.terminate()
            process.wait(timeout=10)


def base_url(described: str) -> str:
    """The URL of ``sandbox_process``'s answer (which also names the sandbox's database)."""
    return described.split(" ", 1)[0]


@contextmanager
def _own_database(directory: str) -> Iterator[tuple[str, str]]:
    """The sandbox's own database: on the PostgreSQL server of ``BENCH_DATABASE_URL`` when set
    (a ``secu_bench_sandbox_<pid>`` database, dropped after), else a SQLite file."""
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if not url:
        yield f"sqlite:///{directory}/sandbox.sqlite3", "SQLite file"
        return
    import psycopg

    name = f"secu_bench_sandbox_{os.getpid()}"
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        # Persistent connections, as any server in front of PostgreSQL has them: a new session
        # per request (Django's default) cost the sandbox ~15 ms a call, more than its work.
        yield f"{server}/{name}?conn_max_age=600", f"PostgreSQL database {name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _runserver(port: int) -> None:
    """``manage.py runserver``'s server (threaded), with Nagle's algorithm off as the harness has
    it: the development server writes headers and body in two sends, and with Nagle on each
    answer on a kept-alive connection waits for a delayed ACK (tests/conftest.py)."""
    import logging

    import django
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    django.setup()
    logging.getLogger("django.server").setLevel(logging.WARNING)  # no access log
    WSGIRequestHandler.disable_nagle_algorithm = True
    server = type("BenchServer", (WSGIServer,), {"request_queue_size": 256})
    run("127.0.0.1", port, get_wsgi_application(), threading=True, server_cls=server)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        sys.path.insert(0, str(ROOT))
        _runserver(int(sys.argv[2]))
    else:
        certificate = sys.argv[4] if len(sys.argv) > 5 else None
        private_key = sys.argv[5] if len(sys.argv) > 5 else None
        asyncio.run(_serve(int(sys.argv[2]), float(sys.argv[3]), certificate, private_key))
