"""The load test: gunicorn as production runs it, and a small asyncio HTTP client on loopback (stdlib
only) with concurrent readers and writers, from a second process.

Readers request, in turn, the list page with two facet filters, a recommendation page, a search
(Latin and Cyrillic) and the API's search; writers are focal points writing through the API with
their personal tokens: a draft progress report on one of their body's assignments, then its
submission (two audited writes). Every request opens its own connection (gunicorn's sync workers
close it after each response). Reported: requests per second, p50/p95 latency, errors (any status
other than the expected one, or a failed connection) by kind, and the lines of gunicorn's error log
that mention "database is locked".
"""

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .runner import percentile

HOST = "127.0.0.1"


@dataclass
class Plan:
    """What the clients request: ids and terms the synthetic data holds."""

    read_paths: list[str]
    writer_tokens: list[str]
    writer_assignments: list[list[int]]


@dataclass
class Outcome:
    requests: int = 0
    errors: dict = field(default_factory=dict)
    refused: int = 0
    read_latencies: list = field(default_factory=list)
    write_latencies: list = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def request(port: int, method: str, path: str, *, headers=None, body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}",
            "Connection: close",
            "X-Forwarded-Proto: https",
        ]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 else 0
    return status, payload


async def _reader(port: int, plan: Plan, stop: float, out: Outcome, rng: random.Random) -> None:
    while time.perf_counter() < stop:
        path = rng.choice(plan.read_paths)
        started = time.perf_counter()
        try:
            status, _body = await request(port, "GET", path, headers={"Accept-Encoding": "gzip"})
        except OSError as exc:
            status = f"connection: {type(exc).__name__}"
        out.read_latencies.append(time.perf_counter() - started)
        out.requests += 1
        if status != 200:
            key = f"GET {path.split('?')[0]} → {status}"
            out.errors[key] = out.errors.get(key, 0) + 1


async def _writer(port: int, token: str, assignments: list[int], stop: float, out: Outcome, rng) -> None:
    """A focal point at work: opens a draft report on one of its assignments (POST), then keeps
    editing its drafts (PATCH with the version it holds, as the pages do). Each writer has
    assignments of its own, so a 409 would be a real lost-update refusal, counted as an error. An
    assignment that already has a report in progress from the synthetic data is refused by the
    rule "continue that one" (400): counted apart as `refused`, and the writer leaves it."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    drafts: dict[int, tuple[int, int]] = {}  # assignment → (report id, version)
    free = list(assignments)
    while time.perf_counter() < stop and (free or drafts):
        text = f"Load test report {rng.randrange(10**9)}: training held, law drafted."
        started = time.perf_counter()
        try:
            if free and (not drafts or rng.random() < 0.3):
                assignment = free.pop(rng.randrange(len(free)))
                payload = {"assignment": assignment, "text": text, "proposed_status": "in_progress"}
                status, body = await request(
                    port, "POST", "/api/v1/progress-reports", headers=auth, body=json.dumps(payload).encode()
                )
                expected = 201
                if status == 400:
                    out.refused += 1
                    expected = 400
                elif status == 201:
                    answer = json.loads(body)
                    drafts[assignment] = (answer["id"], answer["version"])
            else:
                assignment = rng.choice(list(drafts))
                report, version = drafts[assignment]
                payload = {"version": version, "text": text}
                status, body = await request(
                    port,
                    "PATCH",
                    f"/api/v1/progress-reports/{report}",
                    headers=auth,
                    body=json.dumps(payload).encode(),
                )
                expected = 200
                if status == 200:
                    drafts[assignment] = (report, json.loads(body)["version"])
        except (OSError, ValueError, KeyError) as exc:
            status, expected, body = f"failed: {type(exc).__name__}", 0, b""
        out.write_latencies.append(time.perf_counter() - started)
        out.requests += 1
        if status != expected:
            key = f"write → {status} {body[:120]!r}"
            out.errors[key] = out.errors.get(key, 0) + 1


async def warm_up(port: int, plan: Plan, *, concurrency: int) -> None:
    """Every read path a few times, concurrently, so that each worker has loaded the code and
    compiled the templates before the clock starts."""
    paths = plan.read_paths * 2
    for start in range(0, len(paths), concurrency):
        await asyncio.gather(
            *(request(port, "GET", p) for p in paths[start : start + concurrency]), return_exceptions=True
        )


async def run_clients(port: int, plan: Plan, *, duration: float, readers: int, writers: int, seed: int = 1):
    out = Outcome()
    stop = time.perf_counter() + duration
    rng = random.Random(seed)  # noqa: S311 — load pattern, not secrets
    tasks = [_reader(port, plan, stop, out, random.Random(rng.random())) for _ in range(readers)]  # noqa: S311
    tokens = len(plan.writer_tokens)
    sharing = -(-writers // tokens) if tokens else 1  # writers per focal point, each on its own share
    for i in range(writers):
        k, share = i % tokens, i // tokens
        mine = plan.writer_assignments[k][share::sharing]
        tasks.append(_writer(port, plan.writer_tokens[k], mine, stop, out, random.Random(i)))  # noqa: S311
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    return out, time.perf_counter() - started


def make_plan(population, *, writers: int) -> Plan:
    """Tokens for `writers` focal points and the assignments they report on; the read paths."""
    from adolat.accounts.models import ApiToken, Membership, Role
    from adolat.followup.models import Assignment

    from . import data

    pop = population
    paths = [f"/recommendations/{pk}/" for pk in pop.detail_ids[:20]]
    paths += [f"/api/v1/recommendations/{pk}" for pk in pop.detail_ids[20:30]]
    paths += ["/?position=supported&status=in_progress", "/?position=noted&sort=oldest&page=3"]
    for term in data.SEARCH_TERMS.values():
        paths.append("/?" + urlencode({"q": term}))
        paths.append("/api/v1/recommendations?" + urlencode({"q": term}))
    tokens, assignments = [], []
    memberships = Membership.objects.filter(role=Role.FOCAL_POINT).select_related("user", "organisation")
    for m in memberships.order_by("id"):
        ids = list(
            Assignment.objects.filter(lead_body=m.organisation, is_active=True, recommendation__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)[:200]
        )
        if not ids:
            continue
        raw, key_hash = ApiToken.generate()
        ApiToken.objects.create(user=m.user, name="load test", key_hash=key_hash, hint=raw[:12])
        tokens.append(raw)
        assignments.append(ids)
        if len(tokens) >= max(1, writers):
            break
    return Plan(
        read_paths=[p for p in paths if "theme=&" not in p],
        writer_tokens=tokens,
        writer_assignments=assignments,
    )


def start_gunicorn(*, database_url: str, var_dir: str, port: int, workers: int, log_path: str):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "DATABASE_URL": database_url,
        "ADOLAT_VAR_DIR": var_dir,
        "PYTHONUNBUFFERED": "1",
    }
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    command = [
        gunicorn if os.path.exists(gunicorn) else "gunicorn",
        "adolat.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--error-logfile",
        log_path,
        "--log-level",
        "warning",
    ]
    log = open(log_path, "ab")  # noqa: SIM115 — closed with the process in stop_gunicorn
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    process.log_file = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start (see {log_path}):\n" + _tail(log_path))
        try:
            status, _body = asyncio.run(request(port, "GET", "/healthz"))
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn did not answer within 60 s (see {log_path}):\n" + _tail(log_path))


def stop_gunicorn(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log_file.close()


def _tail(path: str, lines: int = 30) -> str:
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])


def load_test(
    population,
    *,
    database_url: str,
    var_dir: str,
    duration: float = 60,
    readers: int = 50,
    writers: int = 5,
    workers: int | None = None,
) -> dict:
    """Run gunicorn against `database_url` (already populated) and the clients against it; the
    figures as a dict (the JSON line's fields)."""
    plan = make_plan(population, writers=writers)
    workers = workers or (2 * (os.cpu_count() or 1) + 1)
    port = free_port()
    log_path = os.path.join(var_dir or tempfile.gettempdir(), f"gunicorn-{port}.log")
    process = start_gunicorn(
        database_url=database_url, var_dir=var_dir, port=port, workers=workers, log_path=log_path
    )
    try:
        asyncio.run(warm_up(port, plan, concurrency=workers * 2))
        out, elapsed = asyncio.run(
            run_clients(
                port, plan, duration=duration, readers=readers, writers=writers if plan.writer_tokens else 0
            )
        )
    finally:
        stop_gunicorn(process)
    with open(log_path, errors="replace") as f:
        log = f.read()
    locked = [line for line in log.splitlines() if "database is locked" in line]
    tracebacks = log.count("Traceback (most recent call last)")
    latencies = out.read_latencies + out.write_latencies
    errors = sum(out.errors.values())
    return {
        "duration_s": round(elapsed, 1),
        "readers": readers,
        "writers": writers if plan.writer_tokens else 0,
        "workers": workers,
        "requests": out.requests,
        "requests_per_s": round(out.requests / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "read_p95_ms": round(percentile(out.read_latencies, 95) * 1000, 1),
        "write_p95_ms": round(percentile(out.write_latencies, 95) * 1000, 1),
        "writes": len(out.write_latencies),
        "refused_by_rule": out.refused,
        "errors": errors,
        "error_kinds": dict(sorted(out.errors.items(), key=lambda kv: -kv[1])[:10]),
        "database_locked": len(locked),
        "server_tracebacks": tracebacks,
        "ok": errors == 0 and not locked and tracebacks == 0,
    }
