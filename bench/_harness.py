"""The benchmark harness: figures measured over several runs, printed and written to BENCHMARKS.md.

A benchmark module's ``main(runs)`` returns a ``Section``: its figures, each with one value per
run. A figure is reported as the median of its runs, with the minimum and maximum, next to its
target; the machine is recorded with every section. Targets are read by people: nothing here
fails on timing.
"""
from __future__ import annotations

import json
import os
import platform
import re
import resource
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, TypeVar

T = TypeVar("T")

#: Runs per figure unless ``make bench RUNS=N`` (or ``--runs N``) says otherwise.
DEFAULT_RUNS = 5
RESULTS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


@dataclass
class Figure:
    """One measured quantity: a value per run, and the target it is read against."""

    label: str
    unit: str
    values: list[float] = field(default_factory=list)
    target: float | None = None  # the figure's median should be at most this (or at least, below)
    at_least: bool = False
    note: str = ""

    def add(self, value: float) -> "Figure":
        self.values.append(float(value))
        return self

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def verdict(self) -> str:
        """``met``/``missed`` against the target, or an empty string when there is none."""
        if self.target is None or not self.values:
            return ""
        ok = self.median >= self.target if self.at_least else self.median <= self.target
        return "met" if ok else "missed"

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return f"{'≥' if self.at_least else '≤'} {_number(self.target)} {self.unit}".strip()


@dataclass
class Section:
    """One benchmark's results: a title, how it was measured, and its figures in order."""

    name: str
    title: str
    setup: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)
    runs: int = 0
    started: str = ""

    def figure(self, label: str, unit: str, *, target: float | None = None, at_least: bool = False, note: str = "") -> Figure:
        """The figure called ``label``, created on first use (so a run loop can just add to it)."""
        for existing in self.figures:
            if existing.label == label:
                return existing
        created = Figure(label, unit, target=target, at_least=at_least, note=note)
        self.figures.append(created)
        return created


def _number(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    size = abs(value)
    if float(value).is_integer() or size >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if size >= 10 else f"{value:.2f}" if size >= 1 else f"{value:.3f}"


def machine() -> dict[str, Any]:
    """What the numbers were measured on: CPU, cores, memory, OS, Python, and the load then."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        memory_kb = 0
    return {
        "cpu": model or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024**2, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info.get('cpu')}, {info.get('cores')} cores, {info.get('memory_gib')} GiB, {info.get('os')}, "
        f"Python {info.get('python')}; load average at start {', '.join(str(x) for x in info.get('load', []))}"
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _call(result: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result.send(("ok", function(*args)))
    except BaseException:
        result.send(("error", traceback.format_exc()))
        raise


def in_fresh_process(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a new interpreter (spawned, not forked), so that its peak RSS is its
    own. ``args`` may include multiprocessing connections (to talk to a server process)."""
    context = get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_call, args=(sender, function, args))
    process.start()
    sender.close()
    try:
        kind, value = receiver.recv()
    finally:
        process.join()
    if kind == "error":
        raise RuntimeError(f"benchmark run failed in its process:\n{value}")
    return value  # type: ignore[no-any-return]


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """``action()``'s result and its wall time in seconds."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# --- output ------------------------------------------------------------------------------------


def print_section(section: Section) -> None:
    print(f"\n{section.title}")
    print(f"  {section.setup}")
    print(f"  machine: {machine_line(section.machine)}; {section.runs} run(s)")
    width = max((len(f.label) for f in section.figures), default=10)
    for figure in section.figures:
        spread = f"min {_number(min(figure.values))}, max {_number(max(figure.values))}" if figure.values else "no value"
        verdict = figure.verdict()
        target = f"   target {figure.target_text()}: {verdict}" if verdict else ""
        print(f"  {figure.label:<{width}}  {_number(figure.median):>9} {figure.unit:<8} ({spread}){target}")
    for note in section.notes:
        print(f"  note: {note}")
    sys.stdout.flush()


def markdown(section: Section) -> str:
    """The section as Markdown: the table of figures and the notes."""
    lines = [
        f"### {section.title}",
        "",
        f"{section.setup}",
        "",
        f"Measured {section.started} on {machine_line(section.machine)}. Median of {section.runs} runs, with min and max.",
        "",
        "| figure | median | min | max | target | |",
        "|---|---|---|---|---|---|",
    ]
    for figure in section.figures:
        low, high = (min(figure.values), max(figure.values)) if figure.values else (float("nan"), float("nan"))
        label = f"{figure.label} ({figure.note})" if figure.note else figure.label
        lines.append(
            f"| {label} | {_number(figure.median)} {figure.unit} | {_number(low)} | {_number(high)} | {figure.target_text()} | {figure.verdict()} |"
        )
    if section.notes:
        lines.append("")
        lines.extend(f"- {note}" for note in section.notes)
    return "\n".join(lines)


def write_results(section: Section, path: Path = RESULTS) -> None:
    """Replace the section's block in BENCHMARKS.md (between its markers), or append it."""
    begin, end = f"<!-- bench:{section.name} -->", f"<!-- /bench:{section.name} -->"
    block = f"{begin}\n{markdown(section)}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def save(section: Section, path: str) -> None:
    """Write the section as JSON (how a benchmark's own process hands it to the runner)."""
    Path(path).write_text(json.dumps(asdict(section)))


def load(path: str) -> Section:
    raw = json.loads(Path(path).read_text())
    raw["figures"] = [Figure(**figure) for figure in raw["figures"]]
    return Section(**raw)


def start(name: str, title: str, setup: str, runs: int) -> Section:
    """A new section stamped with the machine and the time."""
    return Section(name, title, setup, machine=machine(), runs=runs, started=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


def serve_moto(conn: Connection) -> None:
    """A process of its own serving moto's S3 over HTTP: sends its endpoint, stops when told."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    conn.send(f"http://{host}:{port}")
    conn.recv()
    server.stop()
