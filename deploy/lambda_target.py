"""The Lambda runtime a stage deploys to, as ``zappa_settings.json`` names it, and what follows from it.

The ``runtime`` decides the Python minor version the package is built with and the glibc its
compiled files may need: python3.10 and python3.11 run on Amazon Linux 2 (glibc 2.26),
python3.12 and later on Amazon Linux 2023 (glibc 2.34). Standard library only: the Makefile runs
this with whatever Python it finds, before any virtualenv exists.

    python deploy/lambda_target.py version [STAGE]    # 3.12
    python deploy/lambda_target.py pip-args [STAGE]   # --python-version 3.12 ... --platform ...
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "zappa_settings.json"
DEFAULT_STAGE = "prod"

#: Lambda's own limits: 50 MB zipped for a direct upload, 250 MB unzipped. Decimal, the stricter reading.
ZIPPED_LIMIT = 50_000_000
UNZIPPED_LIMIT = 250_000_000

#: glibc of each runtime's operating system (AWS Lambda runtimes table).
_GLIBC = {"Amazon Linux 2": (2, 26), "Amazon Linux 2023": (2, 34)}
_OS = {
    "python3.10": "Amazon Linux 2",
    "python3.11": "Amazon Linux 2",
    "python3.12": "Amazon Linux 2023",
    "python3.13": "Amazon Linux 2023",
    "python3.14": "Amazon Linux 2023",
}
_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Target:
    """One Lambda runtime and architecture."""

    runtime: str  # python3.12
    architecture: str  # x86_64 | arm64

    @property
    def python(self) -> str:
        """The Python minor version, ``3.12``."""
        return self.runtime.removeprefix("python")

    @property
    def os_name(self) -> str:
        return _OS[self.runtime]

    @property
    def glibc(self) -> tuple[int, int]:
        """The newest glibc symbol version the runtime provides."""
        return _GLIBC[self.os_name]

    @property
    def machine(self) -> str:
        """The ELF machine name, as in wheel tags and ``.so`` suffixes."""
        return _MACHINE[self.architecture]

    @property
    def abi_tag(self) -> str:
        """The tag CPython extension modules of this version carry: ``cpython-312-x86_64-linux-gnu``."""
        return f"cpython-{self.python.replace('.', '')}-{self.machine}-linux-gnu"

    @property
    def bytecode_tag(self) -> str:
        """The ``__pycache__`` tag of this version: ``cpython-312``."""
        return f"cpython-{self.python.replace('.', '')}"

    def platforms(self) -> list[str]:
        """Every wheel platform tag whose files can load here, newest first.

        ``linux_<machine>`` comes last: only wheels built on this machine from source carry it,
        and the package check then proves what they link against.
        """
        major, minor = self.glibc
        tags = [f"manylinux_{major}_{m}_{self.machine}" for m in range(minor, 16, -1)]
        return [*tags, f"manylinux2014_{self.machine}", f"linux_{self.machine}"]

    def pip_args(self) -> list[str]:
        """pip options that select wheels for this runtime instead of for the build machine."""
        args = ["--python-version", self.python, "--implementation", "cp", "--abi", f"cp{self.python.replace('.', '')}", "--only-binary=:all:"]
        for tag in self.platforms():
            args += ["--platform", tag]
        return args


def stage_settings(stage: str = DEFAULT_STAGE, path: Path = SETTINGS) -> dict[str, object]:
    """A stage's settings from ``zappa_settings.json``, with ``extends`` applied as Zappa does (shallow)."""
    everything = json.loads(path.read_text())
    if stage not in everything:
        raise SystemExit(f"zappa_settings.json has no stage {stage!r} (stages: {', '.join(everything)})")
    own = everything[stage]
    parent = stage_settings(own["extends"], path) if "extends" in own else {}
    return {**parent, **own}


def target_for(stage: str = DEFAULT_STAGE, path: Path = SETTINGS) -> Target:
    """The Lambda target of a stage."""
    settings = stage_settings(stage, path)
    runtime = str(settings.get("runtime", ""))
    if runtime not in _OS:
        raise SystemExit(f"zappa_settings.json: stage {stage!r} needs a runtime among {', '.join(_OS)}, got {runtime!r}")
    return Target(runtime, str(settings.get("architecture", "x86_64")))


def main(argv: list[str]) -> int:
    command, stage = (argv + [DEFAULT_STAGE])[:2] if argv else ("", DEFAULT_STAGE)
    target = target_for(stage)
    if command == "version":
        print(target.python)
    elif command == "pip-args":
        print(" ".join(target.pip_args()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
