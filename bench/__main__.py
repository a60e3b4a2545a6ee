"""Run benchmarks: ``python -m bench [--runs N] [NAME ...]`` (all of them without a name).

Each benchmark runs in its own process (so a peak RSS is that benchmark's own), prints its
figures, and replaces its section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys
import tempfile

import bench
from bench._harness import DEFAULT_RUNS, load, print_section, save, write_results


#: Modules of the package that are commands of their own, not benchmarks. ``cold_start`` builds
#: the Lambda package and prints its own table (``python -m bench.cold_start``), outside the runner.
NOT_BENCHMARKS = frozenset({"backtest", "cold_start"})


def _available() -> list[str]:
    names = (module.name for module in pkgutil.iter_modules(bench.__path__) if not module.name.startswith("_"))
    return sorted(name for name in names if name not in NOT_BENCHMARKS)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS") or DEFAULT_RUNS), help=f"runs per figure (default {DEFAULT_RUNS})")
    parser.add_argument("--out", help=argparse.SUPPRESS)  # the runner's hand-over file for one benchmark
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md as it is")
    args = parser.parse_args(argv)
    available = _available()
    unknown = [name for name in args.names if name not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    if args.out:  # inside the benchmark's own process
        (name,) = args.names
        save(importlib.import_module(f"bench.{name}").main(max(1, args.runs)), args.out)
        return 0
    status = 0
    for name in args.names or available:
        print(f"== bench {name} ({args.runs} runs)", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as handover:
            code = subprocess.call([sys.executable, "-m", "bench", name, "--runs", str(args.runs), "--out", handover.name])
            if code != 0:
                print(f"bench {name} failed with exit code {code}", file=sys.stderr)
                status = status or code
                continue
            section = load(handover.name)
        print_section(section)
        if not args.no_write:
            write_results(section)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
