"""Benchmarks: each module ``bench/<name>.py`` has a ``main() -> None`` that prints its numbers."""
