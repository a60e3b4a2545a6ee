"""Run benchmarks: ``python -m bench`` runs them all, ``python -m bench NAME ...`` some."""
from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import bench


def main(names: list[str]) -> int:
    """Import each benchmark module and call its ``main()``."""
    available = sorted(module.name for module in pkgutil.iter_modules(bench.__path__) if not module.name.startswith("_"))
    chosen = names or available
    unknown = [name for name in chosen if name not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available) or 'none'}", file=sys.stderr)
        return 2
    if len(chosen) > 1:
        # One process per benchmark, so each one's peak RSS is its own.
        return max(subprocess.call([sys.executable, "-m", "bench", name]) for name in chosen)
    print(f"== bench {chosen[0]}", flush=True)
    importlib.import_module(f"bench.{chosen[0]}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
