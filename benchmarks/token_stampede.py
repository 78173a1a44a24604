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
"""

from __future__ import annotations

import threading
import time

from _harness import Environment, median, run, spread, table, target, title
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.test.utils import override_settings

WORKERS = (4, 16, 32)
BURSTS = 5
LATENCY_MS = 100
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def worker_alias(i: int) -> str:
    return f"bench-worker-{i}"


def burst(n: int, *, shared: bool) -> tuple[int, int, int, float]:
    """One cold-cache burst: (token requests, distinct tokens, errors, slowest worker in ms)."""
    from secu_marketplace.client import SecuconnectClient
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


if __name__ == "__main__":
    run(main)
