from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Performance benchmark and load test (`adolat bench`, `adolat loadtest`); no models."""

    name = "adolat.bench"
    label = "bench"
    verbose_name = "Benchmark"
