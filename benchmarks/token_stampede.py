"""Token stampede: N workers with a cold cache all ask for the OAuth token at the same moment.

Each burst: clear the cache, arm 100 ms of latency on the sandbox's token endpoint (to widen the
race), release N threads through a barrier into ``SecuconnectClient().token()``, then count the
token requests the sandbox logged and the distinct tokens the workers got.

- "shared cache": the app as configured; every worker uses the same Django cache, whose
  ``cache.add`` lock makes the refresh single-flight (reliability.md §1.8).
- "cache per worker": for contrast, each worker has its own LocMemCache location, as N
  processes each with a process-local cache would; nothing is shared, so nothing is coalesced.
  With 32 such workers the live server's listen backlog (``request_queue_size = 10`` in
  django.core.servers.basehttp) overflows: the connections that did not fit are retried by the
  kernel after ~1 s (a SYN retransmit), which is why that row's slowest worker takes ~1.1 s.

With ``BENCH_REDIS_URL=redis://host:port/db`` set, the same bursts again with 16 separate
processes (a deployment of many gunicorn workers, docs/deployment.md): each process is started,
configures Django with the Redis cache (``django.core.cache.backends.redis.RedisCache``), says it
is ready and waits; all are released at once into ``token()``. The Redis database is flushed
before each burst (a cold shared cache). For contrast, the same processes with their own
LocMemCache each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from _harness import Environment, median, run, spread, table, target, title
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.test.utils import override_settings

WORKERS = (4, 16, 32)
PROCESSES = 16
PROCESS_BURSTS = 3
BURSTS = 5
LATENCY_MS = 100
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def worker_alias(i: int) -> str:
    return f"bench-worker-{i}"


def burst(n: int, *, shared: bool) -> tuple[int, int, int, float]:
    """One cold-cache burst: (token requests, distinct tokens, errors, slowest worker in ms)."""
    from secu_marketplace.provider.client import SecuconnectClient
    from secu_marketplace.sandbox import control

    caches["default"].clear()
    for i in range(n):
        caches[worker_alias(i)].clear()
    control.clear_faults()
    control.reset_calls()
    control.inject("oauth.token", "latency", times=n, latency_ms=LATENCY_MS)

    barrier = threading.Barrier(n)
    tokens: list[str | None] = [None] * n
    errors: list[str] = []
    elapsed: list[float] = [0.0] * n

    def work(i: int) -> None:
        try:
            client = SecuconnectClient()
            if not shared:
                client.tokens.cache_alias = worker_alias(i)
            barrier.wait(timeout=30)
            started = time.perf_counter()
            tokens[i] = client.token()
            elapsed[i] = (time.perf_counter() - started) * 1000
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    requests = control.count("oauth.token")
    control.clear_faults()
    for message in sorted(set(errors)):
        print(f"  error with {n} workers: {message}")
    return requests, len({t for t in tokens if t}), len(errors), max(elapsed)


def child(api_url: str) -> None:
    """One process of a cross-process burst: ready, wait for "go", fetch the token, report."""
    from secu_marketplace.provider.client import SecuconnectClient

    with override_settings(
        SECU_MARKETPLACE={**settings.SECU_MARKETPLACE, "API_URL": api_url, "SITE_URL": api_url}
    ):
        client = SecuconnectClient()
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        try:
            token, error = client.token(), ""
        except Exception as failure:
            token, error = "", f"{type(failure).__name__}: {failure}"
        ms = (time.perf_counter() - started) * 1000
    print(json.dumps({"token": token, "error": error, "ms": ms}), flush=True)


def process_burst(env: Environment, redis_url: str, *, shared: bool) -> tuple[int, int, int, float]:
    """One cold burst of PROCESSES processes: (token requests, distinct tokens, errors, ms)."""
    import redis

    from secu_marketplace.sandbox import control

    redis.Redis.from_url(redis_url).flushdb()
    control.clear_faults()
    control.reset_calls()
    control.inject("oauth.token", "latency", times=PROCESSES, latency_ms=LATENCY_MS)
    child_env = {k: v for k, v in os.environ.items() if k != "SECU_TEST_CACHE_URL"}
    if shared:
        child_env["SECU_TEST_CACHE_URL"] = redis_url
    procs = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", f"{env.url}/sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for proc in procs:  # the barrier: every process has Django loaded and its client made
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    control.clear_faults()
    for message in sorted({r["error"] for r in reports if r["error"]}):
        print(f"  error with {PROCESSES} processes: {message}")
    return (
        control.count("oauth.token"),
        len({r["token"] for r in reports if r["token"]}),
        sum(1 for r in reports if r["error"]),
        max(r["ms"] for r in reports),
    )


def across_processes(env: Environment, redis_url: str) -> None:
    print(
        f"\nacross processes: {PROCESSES} processes, {PROCESS_BURSTS} cold bursts per row, Redis "
        f"cache at {redis_url.rsplit('@', 1)[-1]}"
    )
    rows = []
    shared_ok = True
    for shared in (True, False):
        results = [process_burst(env, redis_url, shared=shared) for _ in range(PROCESS_BURSTS)]
        requests = [r[0] for r in results]
        if shared:
            shared_ok = all(r[0] == 1 and r[1] == 1 and r[2] == 0 for r in results)
        rows.append(
            (
                "shared Redis cache" if shared else "LocMemCache per process (contrast)",
                PROCESSES,
                spread(requests),
                spread([r[1] for r in results]),
                sum(r[2] for r in results),
                f"{median([r[3] for r in results]):.0f}",
            )
        )
    table(
        (
            "strategy",
            "processes",
            "token requests/burst",
            "distinct tokens/burst",
            "errors",
            "slowest process, median ms",
        ),
        rows,
    )
    target(f"1 token request per burst for {PROCESSES} cold processes (shared Redis)", shared_ok)


def main(env: Environment) -> None:
    title(
        f"token_stampede: {BURSTS} cold-cache bursts per row, +{LATENCY_MS} ms per token call", env
    )
    extra = {
        worker_alias(i): {"BACKEND": LOCMEM, "LOCATION": worker_alias(i)}
        for i in range(max(WORKERS))
    }
    rows = []
    slow: list[tuple[bool, float]] = []
    shared_ok = True
    with override_settings(CACHES={**settings.CACHES, **extra}):
        for shared in (True, False):
            for n in WORKERS:
                results = [burst(n, shared=shared) for _ in range(BURSTS)]
                requests = [r[0] for r in results]
                distinct = [r[1] for r in results]
                errors = sum(r[2] for r in results)
                slowest = [r[3] for r in results]
                if shared:
                    shared_ok &= all(r == 1 for r in requests) and all(d == 1 for d in distinct)
                    shared_ok &= errors == 0
                slow.append((shared, median(slowest)))
                rows.append(
                    (
                        "shared cache (single-flight)" if shared else "cache per worker (contrast)",
                        n,
                        spread(requests),
                        spread(distinct),
                        errors,
                        f"{median(slowest):.0f}",
                    )
                )
    table(
        (
            "strategy",
            "workers",
            "token requests/burst",
            "distinct tokens/burst",
            "errors",
            "slowest worker, median ms",
        ),
        rows,
    )
    if any(not shared and ms > 900 for shared, ms in slow):
        print(
            "note: a slowest worker near 1 s is a TCP SYN retransmit: the live server's listen "
            "backlog (10) overflowed"
        )
    target(
        f"1 token request per burst for {'/'.join(map(str, WORKERS))} cold workers (shared cache)",
        shared_ok,
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip()
    if redis_url:
        across_processes(env, redis_url)
    else:
        print("(set BENCH_REDIS_URL=redis://... to measure the burst across processes too)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        run(main)
