"""A server process sets itself up once before its first request (adolat.lib.runtime)."""

import gc
import importlib
import sys
import weakref

import pytest


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process goes on collecting everything


@pytest.mark.parametrize("module", ["adolat.wsgi", "adolat.asgi"])
def test_the_server_entry_points_freeze_what_start_up_loaded(unfrozen, module):
    """Without it, the collector examines every start-up object every few requests (40-110 ms
    pauses at scale, issue #5)."""
    sys.modules.pop(module, None)
    assert gc.get_freeze_count() == 0
    entry = importlib.import_module(module)
    assert callable(entry.application)
    # A Django process holds well over 100,000 tracked objects once its apps are loaded.
    assert gc.get_freeze_count() > 50_000


def test_objects_made_after_start_up_are_still_collected(unfrozen):
    from adolat.lib.runtime import prepare_worker

    prepare_worker()

    class Node:
        pass

    node = Node()
    node.itself = node  # a reference cycle: only the cyclic collector frees it
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None
