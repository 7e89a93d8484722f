"""What a server process does once, before its first request."""

import gc


def prepare_worker() -> None:
    """Load what every request needs (settings, apps, the URLconf and every view it imports), then
    hand all of it to `gc.freeze()`.

    Python's cyclic garbage collector occasionally examines every object the process holds (a
    "generation 2" collection). A Django worker holds about 170,000 of them after start-up, none of
    which will ever be garbage, and the ORM leaves a few thousand objects in reference cycles on
    every request (model instances and their prefetch caches), so such a collection runs every few
    requests and took 40-110 ms (of a 35 ms page) at the issue #5 scale: the slowest twentieth of
    the pages was the collector. Frozen objects are left out of every later collection, which then
    examines only what was made since (10 ms, p95 157 -> 46 ms on a long follow-up timeline). In a
    pre-forking server this also keeps the collector from touching, and so copying, the pages the
    workers share with their parent. Everything made later is collected as before."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — imports the views, their forms and templatetags
    gc.collect()
    gc.freeze()
