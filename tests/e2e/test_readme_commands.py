"""README's command lines, run as written on a fresh clone: the first run as the owner, and the
replay of the committed real sample into its own store."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from app import create_app
from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[list[str]]:
    """The ``flask --app app ...`` lines of README's shell blocks, as argument lists."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[3:] for line in lines if line.startswith("flask --app app ")]


def test_readme_commands_work_on_a_fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    small = tmp_path / "universe.csv"
    small.write_text("symbol,name,sector\nAAPL,Apple Inc.,Information Technology\nTSLA,\"Tesla, Inc.\",Consumer Discretionary\nKO,Coca-Cola Company (The),Consumer Staples\n")
    cli = create_app(Settings.from_env({"DIPWATCH_UNIVERSE": str(small)})).test_cli_runner()
    first = cli.invoke(args=["collect", "--as-of", "2026-11-27"])  # what make run does, on simulated data
    assert first.exit_code == 0, first.output
    stock = cli.invoke(args=["bot", "/stock AAPL"])  # README: "Without any token"
    assert stock.exit_code == 0 and stock.output.startswith("AAPL · Apple Inc."), stock.output
    commands = readme_commands()
    assert [args[0] for args in commands] == ["backfill", "collect", "bot"]
    for args in commands:
        result = cli.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    assert result.output.startswith("Top 1–3 of 3") and "CSV replay" in result.output
    assert "simulated" in cli.invoke(args=["bot", "/top 5"]).output  # the simulated store is untouched
