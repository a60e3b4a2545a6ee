"""The Lambda package: built for the runtime's Python and glibc, with its bytecode, within Lambda's limits.

``inspect_package`` is the check ``make package`` runs; here it runs on the real zip, and on
doctored copies to show that each rule catches what it is for.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from deploy.lambda_target import UNZIPPED_LIMIT, ZIPPED_LIMIT, Target, target_for
from deploy.lambda_zip import inspect_package
from deploy.stage import StageResources

RUNTIME = target_for("prod")


def copy_with(package: Path, target: Path, change) -> Path:  # noqa: ANN001 - (name, bytes) -> (name, bytes) | None
    """A copy of the zip with every entry passed through ``change`` (None drops it)."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as copy:
        for info in source.infolist():
            changed = change(info.filename, source.read(info))
            if changed is not None:
                copy.writestr(changed[0], changed[1])
    return target


def first_extension(package: Path) -> str:
    with zipfile.ZipFile(package) as archive:
        return next(name for name in archive.namelist() if name.endswith(f".{RUNTIME.abi_tag}.so") and "numpy/_core/" in name)


def test_both_stages_deploy_to_amazon_linux_2023_with_python_312() -> None:
    assert target_for("prod") == target_for("dev") == Target("python3.12", "x86_64")
    assert RUNTIME.glibc == (2, 34) and RUNTIME.abi_tag == "cpython-312-x86_64-linux-gnu"


def test_the_package_loads_on_its_runtime(lambda_package: Path) -> None:
    report = inspect_package(lambda_package, RUNTIME)
    assert report.problems == []
    assert report.elf_files > 50  # numpy, pandas, aiohttp ... were all opened
    assert (2, 17) <= report.newest_glibc <= RUNTIME.glibc
    assert report.zipped_bytes <= ZIPPED_LIMIT and report.unzipped_bytes <= UNZIPPED_LIMIT
    with zipfile.ZipFile(lambda_package) as archive:
        names = set(archive.namelist())
    assert {"handler.py", "zappa_settings.py", "app/jobs.py", "shared/data/russell1000.csv"} <= names
    assert "app/__pycache__/jobs.cpython-312.pyc" in names and "__pycache__/handler.cpython-312.pyc" in names


def test_build_only_packages_stay_out(lambda_package: Path) -> None:
    with zipfile.ZipFile(lambda_package) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    for build_only in ("pip", "setuptools", "wheel", "elftools", "troposphere", "cfn_flip", "tqdm", "tests", "deploy", "bench", ".venv"):
        assert build_only not in tops
    assert not any(top.startswith(".venv") for top in tops)


def test_a_file_needing_a_newer_glibc_is_caught(lambda_package: Path, tmp_path: Path) -> None:
    victim = first_extension(lambda_package)

    def newer_glibc(name: str, data: bytes):
        # Same length, so the string table stays valid: the file now asks for GLIBC_2.97.
        return name, data.replace(b"GLIBC_2.17", b"GLIBC_2.97").replace(b"GLIBC_2.14", b"GLIBC_2.97") if name == victim else data

    problems = inspect_package(copy_with(lambda_package, tmp_path / "glibc.zip", newer_glibc), RUNTIME).problems
    assert any(victim in problem and "GLIBC_2.97" in problem for problem in problems), problems


def test_another_python_abi_or_machine_is_caught(lambda_package: Path, tmp_path: Path) -> None:
    victim = first_extension(lambda_package)

    def other_abi(name: str, data: bytes):
        if name != victim:
            return name, data
        arm = data[:18] + (183).to_bytes(2, "little") + data[20:]  # e_machine = EM_AARCH64
        return name.replace("cpython-312", "cpython-311"), arm

    problems = inspect_package(copy_with(lambda_package, tmp_path / "abi.zip", other_abi), RUNTIME).problems
    assert any("cpython-311-x86_64-linux-gnu" in problem and "CPython ABI" in problem for problem in problems), problems
    assert any("EM_AARCH64" in problem for problem in problems), problems


def test_missing_or_foreign_bytecode_is_caught(lambda_package: Path, tmp_path: Path) -> None:
    def strip_app_bytecode(name: str, data: bytes):
        if name == "app/__pycache__/jobs.cpython-312.pyc":
            return None
        if name == "app/__pycache__/routes.cpython-312.pyc":
            return name.replace("cpython-312", "cpython-311"), data[:4] + b"\x00\x00\x00\x00" + data[8:]  # timestamp-based
        return name, data

    problems = inspect_package(copy_with(lambda_package, tmp_path / "pyc.zip", strip_app_bytecode), RUNTIME).problems
    assert "app/jobs.py: no cpython-312 bytecode" in problems
    assert any("routes.cpython-311.pyc" in problem for problem in problems)
    assert any("not unchecked hash-based" in problem for problem in problems)


def test_sizes_over_lambdas_limits_are_caught(tmp_path: Path) -> None:
    import os

    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w") as archive:
        archive.writestr("noise.bin", os.urandom(ZIPPED_LIMIT + 1), zipfile.ZIP_STORED)  # over 50 MB zipped
        archive.writestr("zeros.bin", bytes(UNZIPPED_LIMIT), zipfile.ZIP_DEFLATED)  # tiny zipped, 250 MB unzipped
    problems = inspect_package(big, RUNTIME).problems
    assert any("over Lambda's 50,000,000" in problem for problem in problems)
    assert any("over Lambda's 250,000,000" in problem for problem in problems)


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_each_stage_has_its_own_prefix_parameters_and_role(stage: str) -> None:
    resources = StageResources.of(stage)
    assert resources.prefix == stage and resources.ssm_path == f"/dipwatch/{stage}"
    assert resources.function_name == f"dipwatch-{stage}" and resources.role_name == f"dipwatch-{stage}-lambda"
