"""`adolat loadtest`: the load test alone (gunicorn and an asyncio client), on a fresh bench database."""

from .bench import Command as BenchCommand


class Command(BenchCommand):
    help = (
        "Builds the benchmark's temporary database (as `adolat bench` does), starts gunicorn on it as "
        "production runs it (DEBUG off, sync workers, 2 per core + 1) and runs, from this process, an "
        "asyncio client on loopback: --readers concurrent readers (list, recommendation, search, API) "
        "and --writers focal points writing progress reports through the API, for --duration seconds. "
        "Reports requests/s, p50/p95, errors, and the 'database is locked' lines of gunicorn's log."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--duration", type=float, default=60, dest="load_duration_main")
        parser.add_argument("--readers", type=int, default=50, dest="load_readers_main")
        parser.add_argument("--writers", type=int, default=5, dest="load_writers_main")

    def handle(self, *args, **options):
        options.update(
            only="load",
            load_duration=options.pop("load_duration_main"),
            load_readers=options.pop("load_readers_main"),
            load_writers=options.pop("load_writers_main"),
        )
        return super().handle(*args, **options)
