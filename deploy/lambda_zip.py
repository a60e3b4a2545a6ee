"""Finish and check the Lambda zip that Zappa builds.

Zappa calls ``finish`` after it writes the zip (``callbacks.zip`` in ``zappa_settings.json``), for
``zappa package``, ``deploy`` and ``update`` alike:

1. **Only the AWS APIs the function calls.** botocore carries the models of some 440 services
   (17 MB zipped); the function calls S3 and SSM, so only those models (and STS's, for
   credentials) stay. A call to another service fails with ``UnknownServiceError``.
2. **Bytecode.** Zappa leaves ``__pycache__`` out, and ``/var/task`` is read-only, so without
   bytecode every cold start compiles every module it imports. ``finish`` compiles the whole
   package with the runtime's own Python, as unchecked hash-based ``.pyc`` files: Lambda unpacks
   the zip with its 1980 timestamps, which would invalidate timestamp-based ones, and the code
   never changes under a deployed function.
3. **The check.** Every ELF file must be for the runtime's machine, need no ``GLIBC_`` symbol
   version newer than the runtime's glibc, and (for extension modules) carry the runtime's
   CPython ABI tag; every ``.py`` must have its bytecode; the zip must fit Lambda's limits.

``python -m deploy.lambda_zip check ZIP [STAGE]`` runs the check alone and prints the sizes.
"""
from __future__ import annotations

import compileall
import io
import re
import shutil
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from py_compile import PycInvalidationMode
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # Zappa loads this file by path

from deploy.lambda_target import UNZIPPED_LIMIT, ZIPPED_LIMIT, Target, target_for  # noqa: E402

_ELF_MAGIC = b"\x7fELF"
_EXTENSION = re.compile(r"\.(?P<tag>cpython-[^.]+|abi3)\.so$")
_GLIBC = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")
#: The AWS services whose botocore/boto3 models the package keeps (see the module docstring).
AWS_SERVICES = frozenset({"s3", "ssm", "sts"})
#: Where Lambda unpacks the code: tracebacks name these paths.
TASK_ROOT = "/var/task"


@dataclass
class PackageReport:
    """What the check found in one zip."""

    zipped_bytes: int
    unzipped_bytes: int
    files: int
    elf_files: int
    newest_glibc: tuple[int, int]
    by_package: list[tuple[str, int]]
    problems: list[str] = field(default_factory=list)

    def lines(self, top: int = 10) -> list[str]:
        """A human summary: sizes against the limits, the biggest packages, the problems."""
        out = [
            f"zipped {self.zipped_bytes / 1e6:.1f} MB (limit {ZIPPED_LIMIT / 1e6:.0f} MB) · "
            f"unzipped {self.unzipped_bytes / 1e6:.1f} MB (limit {UNZIPPED_LIMIT / 1e6:.0f} MB) · "
            f"{self.files} files, {self.elf_files} ELF, newest GLIBC_{self.newest_glibc[0]}.{self.newest_glibc[1]} needed",
            "biggest packages (unzipped): " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in self.by_package[:top]),
        ]
        return out + [f"PROBLEM: {problem}" for problem in self.problems]


def _glibc_needed(data: bytes) -> tuple[str, list[tuple[int, int, int]]]:
    """The ELF machine and every GLIBC_x.y[.z] version the file needs (its .gnu.version_r)."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection

    elf = ELFFile(io.BytesIO(data))
    versions = []
    for section in elf.iter_sections():
        if not isinstance(section, GNUVerNeedSection):
            continue
        for _needed, auxiliaries in section.iter_versions():
            for aux in auxiliaries:
                match = _GLIBC.match(aux.name)
                if match:
                    versions.append(tuple(int(part or 0) for part in match.groups()))
    return str(elf["e_machine"]), versions  # type: ignore[return-value]


def _elf_problems(name: str, data: bytes, target: Target) -> tuple[list[str], tuple[int, int]]:
    """Problems of one ELF file for ``target``, and the newest glibc it needs."""
    problems = []
    machine, versions = _glibc_needed(data)
    expected = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}[target.machine]
    if machine != expected:
        problems.append(f"{name}: built for {machine}, the runtime is {expected}")
    newest = max(((major, minor) for major, minor, _patch in versions), default=(0, 0))
    if newest > target.glibc:
        problems.append(f"{name}: needs GLIBC_{newest[0]}.{newest[1]}, {target.runtime} ({target.os_name}) has {target.glibc[0]}.{target.glibc[1]}")
    tag = _EXTENSION.search(name)
    if tag and tag["tag"] not in (target.abi_tag, "abi3"):
        problems.append(f"{name}: CPython ABI tag {tag['tag']}, the runtime loads {target.abi_tag}")
    return problems, newest


def _bytecode_problems(names: set[str], target: Target) -> list[str]:
    """Every ``.py`` needs its ``__pycache__/<name>.<tag>.pyc``; no other version's bytecode."""
    problems = []
    for name in sorted(names):
        path = PurePosixPath(name)
        if path.suffix == ".py":
            expected = str(path.parent / "__pycache__" / f"{path.stem}.{target.bytecode_tag}.pyc")
            if expected.removeprefix("./") not in names:
                problems.append(f"{name}: no {target.bytecode_tag} bytecode")
        elif path.suffix == ".pyc" and not path.name.endswith(f".{target.bytecode_tag}.pyc"):
            problems.append(f"{name}: bytecode of another Python version")
    return problems


def inspect_package(zip_path: Path, target: Target) -> PackageReport:
    """Open every file of the zip and check it against ``target`` and Lambda's size limits."""
    problems: list[str] = []
    sizes: Counter[str] = Counter()
    elf_files = 0
    newest_glibc = (0, 0)
    with zipfile.ZipFile(zip_path) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        for info in infos:
            sizes[info.filename.split("/", 1)[0] if "/" in info.filename else info.filename] += info.file_size
            with archive.open(info) as handle:
                if handle.read(4) != _ELF_MAGIC:
                    continue
            elf_files += 1
            found, needed = _elf_problems(info.filename, archive.read(info), target)
            problems += found
            newest_glibc = max(newest_glibc, needed)
        problems += _bytecode_problems({info.filename for info in infos}, target)
        pyc_flags = {archive.read(info)[4:8] for info in infos if info.filename.endswith(".pyc")}
    if pyc_flags - {b"\x01\x00\x00\x00"}:
        problems.append("bytecode is not unchecked hash-based (timestamps would invalidate it on Lambda)")
    report = PackageReport(
        zipped_bytes=zip_path.stat().st_size,
        unzipped_bytes=sum(info.file_size for info in infos),
        files=len(infos),
        elf_files=elf_files,
        newest_glibc=newest_glibc,
        by_package=sizes.most_common(),
        problems=problems,
    )
    if report.zipped_bytes > ZIPPED_LIMIT:
        problems.append(f"zip is {report.zipped_bytes:,} bytes, over Lambda's {ZIPPED_LIMIT:,}")
    if report.unzipped_bytes > UNZIPPED_LIMIT:
        problems.append(f"unzipped it is {report.unzipped_bytes:,} bytes, over Lambda's {UNZIPPED_LIMIT:,}")
    return report


def _prune_service_models(tree: Path) -> None:
    """Remove the botocore and boto3 models of services the function never calls."""
    for models in (tree / "botocore" / "data", tree / "boto3" / "data"):
        for service in models.iterdir() if models.is_dir() else ():
            if service.is_dir() and service.name not in AWS_SERVICES:
                shutil.rmtree(service)


def rebuild(zip_path: Path, target: Target) -> int:
    """Rewrite the zip without unused service models and with unchecked hash-based bytecode of
    every module; return the ``.pyc`` count.

    Runs under the runtime's Python version: bytecode is specific to it.
    """
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != target.python:
        raise SystemExit(f"bytecode for {target.runtime} must be compiled by Python {target.python}, this is {running}")
    with tempfile.TemporaryDirectory(prefix="dipwatch-lambda-") as temporary:
        tree = Path(temporary) / "task"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(tree)
        _prune_service_models(tree)
        for stale in list(tree.rglob("__pycache__")):
            shutil.rmtree(stale)
        # A file that does not compile cannot be imported either; compileall names it, and the
        # check then reports it as lacking bytecode.
        compileall.compile_dir(
            tree, quiet=1, workers=0, stripdir=str(tree), prependdir=TASK_ROOT,
            invalidation_mode=PycInvalidationMode.UNCHECKED_HASH,
        )
        rewritten = zip_path.with_suffix(".tmp")
        count = 0
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for path in sorted(tree.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(path.relative_to(tree).as_posix())
                    info.create_system = 3
                    info.external_attr = 0o755 << 16  # as Zappa writes them
                    archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
                    count += path.suffix == ".pyc"
        rewritten.replace(zip_path)
    return count


def finish(cli: Any) -> None:
    """Zappa's ``zip`` callback: rebuild (models, bytecode), then check; a failed check stops the deploy."""
    zip_path = Path(cli.zip_path)
    target = target_for(cli.api_stage)
    compiled = rebuild(zip_path, target)
    report = inspect_package(zip_path, target)
    print(f"lambda package {zip_path} for {target.runtime} ({target.os_name}, {target.architecture}): {compiled} .pyc files")
    for line in report.lines():
        print(f"  {line}")
    if report.problems:
        raise SystemExit(f"the package would not load on {target.runtime}: {len(report.problems)} problem(s), see above")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "check":
        print(__doc__, file=sys.stderr)
        return 2
    target = target_for(argv[2] if len(argv) > 2 else "prod")
    report = inspect_package(Path(argv[1]), target)
    print("\n".join(report.lines()))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
