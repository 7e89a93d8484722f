"""`adolat bench` end to end at a tiny size, in a process of its own (it builds and drops its own
database, which must not disturb the test database): every operation is reported with the keys the
issue asks for and sane values, and the short load test ends without errors. No timing is asserted."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGES = {
    "detail",
    "detail_coordinator",
    "list_first",
    "list_first_coordinator",
    "list_deep",
    "list_deep_coordinator",
    "list_largest_page",
    "search_latin_rare",
    "search_latin_common",
    "search_cyrillic_rare",
    "search_cyrillic_common",
    "api_search_latin_rare",
    "api_search_latin_common",
    "api_search_cyrillic_rare",
    "api_search_cyrillic_common",
    "api_list_facets",
    "api_detail",
    "detail_long_timeline",
    "detail_long_timeline_anonymous",
    "my_work_coordinator",
}
N = 300
IMPORT_ROWS = 120


@pytest.fixture(scope="module")
def lines():
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-test", "DEBUG": "0"}
    command = [sys.executable, "-m", "adolat.manage", "bench", "--recommendations", str(N), "--repeat", "2"]
    command += ["--json", "--import-rows", str(IMPORT_ROWS), "--load-duration", "3"]
    command += ["--load-readers", "4", "--load-writers", "2"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {row["name"]: row for row in rows}


def test_every_page_is_measured_with_the_required_keys(lines):
    assert set(lines) >= PAGES
    assert not {name: row["error"] for name, row in lines.items() if "error" in row}
    for name in PAGES:
        row = lines[name]
        assert row["n"] == N
        assert 0 < row["p50_ms"] <= row["p95_ms"], name
        assert row["floor_p50_ms"] > 0, name
        assert row["queries"] >= 1, name
        assert isinstance(row["ok"], bool)
    # The list page does not make more queries at its largest page size than at its smallest.
    assert lines["list_largest_page"]["queries"] <= lines["list_largest_page"]["queries_smallest_page"]
    assert lines["setup"]["n"] == N


def test_throughput_figures(lines):
    first, again = lines["import"], lines["reimport"]
    assert first["rows_per_s"] > 0 and first["errors"] == 0
    assert first["created"] == IMPORT_ROWS
    assert again["created"] == 0 and again["unchanged"] == IMPORT_ROWS
    for fmt in ("csv", "json"):
        export = lines[f"export_{fmt}"]
        assert export["seconds"] > 0 and export["mb"] > 0
        assert export["rss_growth_mb"] >= 0 and export["tracemalloc_peak_mb"] > 0
    assert lines["facet_index"]["ok"] and lines["facet_index"]["builds"] == 1
    weight = lines["page_weight"]
    assert weight["kb"] > weight["html_kb"] > 0
    assert any(name.endswith(".css") for name in weight["assets"])


def test_the_short_load_test_has_no_errors(lines):
    load = lines["load"]
    assert load["requests"] > 0 and load["writes"] > 0
    assert load["errors"] == 0, load["error_kinds"]
    assert load["database_locked"] == 0
    assert load["server_tracebacks"] == 0
