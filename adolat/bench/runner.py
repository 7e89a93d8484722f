"""The measurements of `adolat bench` (see the command's help for what each figure means).

Every page is requested through the whole Django stack with `django.test.Client` (every
middleware, sessions, CSRF, templates), as an anonymous visitor or a signed-in coordinator, over
HTTPS as production serves it. Each operation is run a few times to warm up, then `repeat` times
for the timings (p50, p95), then once more with the queries captured: their number, and the
floor — the slowest of the page's SELECT statements run again directly on a cursor (rows fetched),
`repeat` times, p50. The floor is what the database alone needs for the page's main query; the
gap between p50 and floor is Python, templates and the other queries.
"""

import csv
import gzip
import io
import json
import os
import re
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import data

# Targets of issue #5, at 250,000 recommendations on a 2-core machine.
TARGET_DETAIL_MS = 50
TARGET_LIST_MS = 100
TARGET_SEARCH_MS = 300
TARGET_FOLLOWUP_MS = 100
TARGET_IMPORT_ROWS_S = 5_000
TARGET_REIMPORT_ROWS_S = 20_000
TARGET_EXPORT_S = 10
TARGET_EXPORT_MB = 100
TARGET_PAGE_KB = 100


@dataclass
class Result:
    name: str
    n: int
    fields: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"name": self.name, "n": self.n, **self.fields}


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH"))


def _run_sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()


@dataclass
class Page:
    """One operation measured through the stack."""

    name: str
    url: str
    user: object = None  # None: anonymous
    target_ms: float | None = None
    floor_rule: Callable[[float, float], bool] | None = None  # (p95, floor) -> ok
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


class Bench:
    def __init__(self, population: data.Population, *, repeat: int = 20, warmup: int = 2, log=None):
        from adolat.accounts.models import User

        self.population = population
        self.n = population.n
        self.repeat = max(1, repeat)
        self.warmup = warmup
        self.log = log or (lambda message: None)
        self.coordinator = User.objects.get(pk=population.coordinator_id)
        self.focal_point = User.objects.get(pk=population.focal_point_id)
        self.anonymous = Client()
        self.signed_in = Client()
        self.signed_in.force_login(self.coordinator)
        verify_second_factor(self.signed_in, self.coordinator)

    # --- pages ----------------------------------------------------------------------------------

    def _client(self, page: Page) -> Client:
        return self.signed_in if page.user else self.anonymous

    def _get(self, page: Page):
        response = self._client(page).get(page.url, secure=True, **page.headers)
        if response.status_code != 200:
            raise RuntimeError(f"{page.name}: GET {page.url} answered {response.status_code}")
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        else:
            _ = response.content
        return response

    def measure(self, page: Page) -> Result:
        for _ in range(self.warmup):
            self._get(page)
        timings = []
        for _ in range(self.repeat):
            started = time.perf_counter()
            self._get(page)
            timings.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            self._get(page)
        queries = captured.captured_queries
        selects = [q for q in queries if _is_select(q["sql"])]
        floor_p50 = floor_all_p50 = 0.0
        if selects:
            main = max(selects, key=lambda q: float(q["time"]))
            floor_times = []
            for _ in range(self.repeat):
                started = time.perf_counter()
                _run_sql(main["sql"])
                floor_times.append(time.perf_counter() - started)
            floor_p50 = statistics.median(floor_times)
            all_times = []
            for _ in range(max(1, self.repeat // 4)):
                started = time.perf_counter()
                for q in selects:
                    _run_sql(q["sql"])
                all_times.append(time.perf_counter() - started)
            floor_all_p50 = statistics.median(all_times)
        p50, p95 = statistics.median(timings), percentile(timings, 95)
        fields = {
            "p50_ms": _ms(p50),
            "p95_ms": _ms(p95),
            "floor_p50_ms": _ms(floor_p50),
            "queries": len(queries),
            "floor_all_queries_p50_ms": _ms(floor_all_p50),
            "url": page.url,
            "user": "coordinator" if page.user else "anonymous",
        }
        ok = True
        if page.target_ms is not None:
            fields["target_ms"] = page.target_ms
            ok = p95 * 1000 <= page.target_ms
        if page.floor_rule is not None:
            ok = ok and page.floor_rule(p95 * 1000, floor_p50 * 1000)
        fields.update(page.extra)
        fields["ok"] = ok
        self.log(f"{page.name}: p50 {fields['p50_ms']} ms, p95 {fields['p95_ms']} ms")
        return Result(page.name, self.n, fields)

    def pages(self) -> list[Page]:
        from adolat.recommendations import selectors
        from adolat.recommendations.models import Recommendation, Theme

        pop = self.population
        sizes = settings.ADOLAT_PAGE_SIZES
        detail = pop.detail_ids[len(pop.detail_ids) // 2] if pop.detail_ids else pop.long_timeline_id
        # Two facet filters that leave a large result: the most used theme and "supported".
        theme = (
            Theme.objects.filter(recommendations__isnull=False)
            .values_list("code", flat=True)
            .order_by("sort_order")
            .first()
        )
        facet_params = [("theme", theme), ("position", "supported")]
        filters = selectors.parse_filters(QueryDict(urlencode(facet_params)))
        matches = selectors.recommendation_list(user=self.coordinator, filters=filters).count()
        deep = max(1, (matches // sizes[0]) * 9 // 10)
        _ = Recommendation  # the model is what the pages read
        search_rule = lambda p95, floor: p95 <= 3 * floor + 10  # noqa: E731
        terms = data.SEARCH_TERMS
        out = [
            Page("detail", f"/recommendations/{detail}/", None, TARGET_DETAIL_MS),
            Page("detail_coordinator", f"/recommendations/{detail}/", self.coordinator, TARGET_DETAIL_MS),
            Page("list_first", "/?" + urlencode(facet_params), None, TARGET_LIST_MS),
            Page(
                "list_first_coordinator",
                "/?" + urlencode(facet_params),
                self.coordinator,
                TARGET_LIST_MS,
            ),
            Page(
                "list_deep",
                "/?" + urlencode([*facet_params, ("page", deep)]),
                None,
                TARGET_LIST_MS,
                extra={"page": deep, "matches": matches},
            ),
            Page(
                "list_deep_coordinator",
                "/?" + urlencode([*facet_params, ("page", deep)]),
                self.coordinator,
                TARGET_LIST_MS,
                extra={"page": deep},
            ),
            Page(
                "list_largest_page",
                "/?" + urlencode([*facet_params, ("size", sizes[-1])]),
                None,
                TARGET_LIST_MS,
                extra={"size": sizes[-1]},
            ),
        ]
        for key in ("latin_rare", "latin_common", "cyrillic_rare", "cyrillic_common"):
            out.append(
                Page(
                    f"search_{key}",
                    "/?" + urlencode({"q": terms[key]}),
                    None,
                    TARGET_SEARCH_MS,
                    search_rule,
                    extra={"q": terms[key]},
                )
            )
        for key in ("latin_rare", "latin_common", "cyrillic_rare", "cyrillic_common"):
            out.append(
                Page(
                    f"api_search_{key}",
                    "/api/v1/recommendations?" + urlencode({"q": terms[key]}),
                    None,
                    TARGET_SEARCH_MS,
                    search_rule,
                    extra={"q": terms[key]},
                )
            )
        out += [
            Page(
                "api_list_facets",
                "/api/v1/recommendations?" + urlencode(facet_params),
                None,
                TARGET_LIST_MS,
            ),
            Page(
                "api_detail",
                f"/api/v1/recommendations/{detail}",
                None,
                TARGET_DETAIL_MS,
            ),
            Page(
                "detail_long_timeline",
                f"/recommendations/{pop.long_timeline_id}/",
                self.coordinator,
                TARGET_FOLLOWUP_MS,
            ),
            Page(
                "detail_long_timeline_anonymous",
                f"/recommendations/{pop.long_timeline_id}/",
                None,
                TARGET_FOLLOWUP_MS,
            ),
            Page("my_work_coordinator", "/follow-up/", self.coordinator, TARGET_FOLLOWUP_MS),
        ]
        return out

    def bounded_queries(self, results: list[dict]) -> None:
        """The list page must make as many queries whatever its size: compare the first page at
        the smallest and at the largest size."""
        by_name = {r["name"]: r for r in results}
        small, large = by_name.get("list_first"), by_name.get("list_largest_page")
        if small and large and "queries" in small and "queries" in large:
            large["queries_smallest_page"] = small["queries"]
            large["ok"] = large["ok"] and large["queries"] <= small["queries"]

    # --- page weight ----------------------------------------------------------------------------

    def page_weight(self) -> Result:
        """The list page's HTML and every stylesheet, script and icon it loads, as a first visit
        receives them: gzip-compressed (level 6, as a server compresses), the static files as
        WhiteNoise serves their pre-compressed versions when asked for gzip."""
        client = Client()
        response = client.get("/", secure=True, HTTP_ACCEPT_ENCODING="gzip")
        html = response.content
        html_gz = html if response.get("Content-Encoding") == "gzip" else gzip.compress(html, 6)
        assets = sorted(
            set(re.findall(rb'(?:href|src)="(' + re.escape(settings.STATIC_URL.encode()) + rb'[^"]+)"', html))
        )
        asset_sizes = {}
        for url in assets:
            path = url.decode()
            asset = client.get(path, secure=True, HTTP_ACCEPT_ENCODING="gzip")
            body = b"".join(asset.streaming_content) if asset.streaming else asset.content
            if asset.status_code != 200:
                raise RuntimeError(f"page_weight: GET {path} answered {asset.status_code}")
            if asset.get("Content-Encoding") not in ("gzip", "br"):
                body = gzip.compress(body, 6)
            asset_sizes[urlsplit(path).path] = len(body)
        total = len(html_gz) + sum(asset_sizes.values())
        kb = round(total / 1024, 1)
        return Result(
            "page_weight",
            self.n,
            {
                "kb": kb,
                "html_kb": round(len(html_gz) / 1024, 1),
                "html_uncompressed_kb": round(len(html) / 1024, 1),
                "assets": {k: round(v / 1024, 1) for k, v in asset_sizes.items()},
                "target_kb": TARGET_PAGE_KB,
                "ok": kb <= TARGET_PAGE_KB,
            },
        )

    # --- facet index ------------------------------------------------------------------------------

    def facet_index(self) -> Result:
        """What the facet index (recommendations/facet_index.py) costs a process: building it from
        the tables, as the first list page after a start does, and the memory its arrays hold;
        then following one recorded change (a status set), as the next page after a write does."""
        from django.contrib.auth.models import AnonymousUser

        from adolat.recommendations import facet_index, selectors, services
        from adolat.recommendations.models import Recommendation, Status

        index = facet_index.FacetIndex()
        started = time.perf_counter()
        index.refresh()
        build = time.perf_counter() - started
        rec = Recommendation.objects.filter(is_published=True).order_by("pk").first()
        status = Status.IMPLEMENTED if rec.status != Status.IMPLEMENTED else Status.IN_PROGRESS
        services.recommendation_set_status(recommendation=rec, status=status, by=None, source="command")
        started = time.perf_counter()
        index.refresh()
        follow = time.perf_counter() - started
        counted = index.counts(
            visible_all=False, filters=selectors.Filters(), counted=selectors.COUNTED_FACETS
        )
        expected = selectors.facet_counts_in_sql(user=AnonymousUser(), filters=selectors.Filters())
        fields = {
            "build_s": round(build, 2),
            "follow_one_change_ms": _ms(follow),
            "mb": round(index.nbytes() / 2**20, 1),
            "bytes": index.nbytes(),
            "builds": index.builds,
            "ok": counted == expected and index.builds == 1,
        }
        self.log(f"facet_index: built in {fields['build_s']} s, {fields['mb']} MB")
        return Result("facet_index", self.n, fields)

    # --- import -----------------------------------------------------------------------------------

    def import_file(self, rows: int, *, first_session: int = 1000, seed: int = 1) -> bytes:
        """A UPR Info export (adolat.recommendations.importers.upr_info) of `rows` recommendations
        about the instance's state, spread over 40 sessions the synthetic data does not hold (500
        a session at 20,000 rows, from some 190 recommending states, as real reviews are)."""
        import random

        from adolat.recommendations.importers.upr_info import COLUMNS
        from adolat.recommendations.models import Country
        from adolat.recommendations.vocabularies import read_rows

        rng = random.Random(self.population.seed + seed)  # noqa: S311 — synthetic data
        texts = data._Texts(rng)
        state = Country.objects.get(pk=self.population.country)
        others = list(Country.objects.exclude(pk=state.pk).values_list("name_en", flat=True))
        issues = [row["label"] for row in read_rows("upr_info_mapping.csv") if row.get("label")]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(rows):
            text = texts.en()[0].rstrip(".") + f", measure {i + 1}."
            writer.writerow(
                {
                    "To": state.name_en,
                    "To-Rgrp": "Asia-Pacific Group",
                    "To-Org": "",
                    "Text": text,
                    "From": rng.choice(others),
                    "From-Rgrp": "",
                    "From-Org": "",
                    "Response": rng.choice(("Supported", "Supported", "Noted")),
                    "Action": "Category 3",
                    "Issue": ", ".join(rng.sample(issues, min(len(issues), rng.randint(1, 3)))),
                    "Session": str(first_session + i % 40),
                }.get(c, "")
                for c in COLUMNS
            )
        return out.getvalue().encode()

    def imports(self, rows: int, *, budget_s: float = 120) -> list[Result]:
        """The real importer (`run_import`, as `adolat import` calls it), history included: first
        the file, then the same file again (nothing to change).

        A probe of 500 rows (other sessions) runs first; when the importer is too slow to import
        `rows` within `budget_s`, the file is cut to what fits (at least 500 rows) so the benchmark
        still ends in reasonable time; `rows` and `rows_asked` say so."""
        from adolat.recommendations.importers import run_import

        def timed(payload: bytes):
            started = time.perf_counter()
            summary = run_import(
                payload,
                filename="bench-upr-info.csv",
                format="upr_info",
                country=self.population.country,
                publish=True,
                by=self.coordinator,
            )
            return summary, time.perf_counter() - started

        probe_rows = min(500, rows)
        _summary, probe_s = timed(self.import_file(probe_rows, first_session=2000, seed=2))
        probe_rate = probe_rows / probe_s if probe_s else float("inf")
        asked = rows
        rows = max(probe_rows, min(rows, int(probe_rate * budget_s)))
        self.log(f"import probe: {probe_rate:.0f} rows/s; importing {rows} rows")
        payload = self.import_file(rows)
        results = []
        for name, target in (("import", TARGET_IMPORT_ROWS_S), ("reimport", TARGET_REIMPORT_ROWS_S)):
            summary, seconds = timed(payload)
            errors = summary.errors
            rate = rows / seconds if seconds else 0.0
            fields = {
                "rows_per_s": round(rate, 1),
                "rows": rows,
                "rows_asked": asked,
                "seconds": round(seconds, 2),
                "target_rows_per_s": target,
                "errors": len(errors),
            }
            for key in ("created", "updated", "unchanged", "near_matches"):
                fields[key] = getattr(summary, key, None)
            fields["ok"] = rate >= target and not errors
            if errors:
                fields["first_error"] = str(errors[0])[:300]
            self.log(f"{name}: {fields['rows_per_s']} rows/s")
            results.append(Result(name, self.n, fields))
        return results

    # --- export -----------------------------------------------------------------------------------

    def exports(self, *, trace_memory: bool = True) -> list[Result]:
        """The real exporters over every recommendation (unpublished included, as `adolat export
        --include-unpublished` does): seconds and the growth of the process's resident memory
        (sampled every 20 ms) in a first run; the peak of Python allocations (tracemalloc) in a
        second run, slower because tracing is."""
        from adolat.recommendations import exports, selectors

        results = []
        for fmt in ("csv", "json"):
            export = exports.prepare(
                fmt, user=exports.SystemPrincipal(), filters=selectors.Filters(), language="en"
            )
            sink = _CountingSink()
            sampler = _RssSampler()
            sampler.start()
            started = time.perf_counter()
            export.write(sink)
            seconds = time.perf_counter() - started
            rss_growth = sampler.stop()
            fields = {
                "seconds": round(seconds, 2),
                "mb": round(sink.size / 2**20, 1),
                "rss_growth_mb": round(rss_growth / 2**20, 1),
                "target_s": TARGET_EXPORT_S,
                "target_mb": TARGET_EXPORT_MB,
            }
            if trace_memory:
                tracemalloc.start()
                base = tracemalloc.get_traced_memory()[0]
                export.write(_CountingSink())
                peak = tracemalloc.get_traced_memory()[1] - base
                tracemalloc.stop()
                fields["tracemalloc_peak_mb"] = round(peak / 2**20, 1)
            growth = max(fields["rss_growth_mb"], fields.get("tracemalloc_peak_mb", 0))
            fields["ok"] = seconds <= TARGET_EXPORT_S and growth <= TARGET_EXPORT_MB
            self.log(f"export_{fmt}: {fields['seconds']} s")
            results.append(Result(f"export_{fmt}", self.n, fields))
        return results


class _CountingSink(io.RawIOBase):
    def __init__(self):
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.size += len(b)
        return len(b)


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak RSS of the process so far
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _RssSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.base = _rss()
        self.peak = self.base
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            self.peak = max(self.peak, _rss())

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, _rss())
        return self.peak - self.base


def verify_second_factor(client: Client, user) -> None:
    """`force_login` skips the sign-in pages: mark the session as signed in with the password and,
    for a role that must use one (coordinators), a second factor (a static device of the bench's
    own, holding no codes), so the pages are measured rather than the redirect to the second step."""
    try:
        from adolat.accounts import mfa
    except ImportError:  # no second factor in this version
        return
    session = client.session
    now = int(time.time())
    if hasattr(mfa, "PASSWORD_AT"):
        session[mfa.PASSWORD_AT] = now
    if getattr(mfa, "mfa_required", lambda u: False)(user):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_static.models import StaticDevice

        device, _created = StaticDevice.objects.get_or_create(
            user=user, name="bench session", defaults={"confirmed": True}
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        if hasattr(mfa, "FACTOR_AT"):
            session[mfa.FACTOR_AT] = now
    session.save()


def dumps(result: Result) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False)
