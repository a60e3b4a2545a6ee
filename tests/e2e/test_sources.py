"""Data of different sources never mixes: each source has its own store by default, and a store
that holds one source's data refuses another's. The first run as README tells it."""
from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from shared.config import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "real_bars_sample.csv.gz"
REPLAY = f"csv:{SAMPLE}"


def test_each_source_has_its_own_store_by_default(tmp_path: Path, universe_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app(Settings.from_env({"DIPWATCH_UNIVERSE": str(universe_file)}))
    cli = app.test_cli_runner()
    simulated = cli.invoke(args=["collect", "--as-of", "2026-11-27"])
    assert simulated.exit_code == 0, simulated.output
    assert simulated.output.strip().endswith("/var/data/sim")
    backfill = cli.invoke(args=["backfill", "--days", "30", "--end", "2024-03-08", "--source", REPLAY])
    assert backfill.exit_code == 0 and "[csv]" in backfill.output and backfill.output.strip().endswith("/var/data/csv-real_bars_sample")
    replay = cli.invoke(args=["collect", "--source", REPLAY, "--as-of", "2024-03-08"])
    assert replay.exit_code == 0, replay.output
    assert sorted(path.name for path in (tmp_path / "var" / "data").iterdir()) == ["csv-real_bars_sample", "sim"]
    # The simulated store still ends on its own day, and the replay's is read with the same --source.
    assert "as of 2026-11-27 close" in cli.invoke(args=["bot", "/top 3"]).output
    replayed = cli.invoke(args=["bot", "/top 3", "--source", REPLAY]).output
    assert "as of 2024-03-08 close" in replayed and "CSV replay" in replayed
    version = cli.invoke(args=["bot", "/version", "--source", REPLAY]).output
    assert "source CSV replay" in version and "/var/data/csv-real_bars_sample" in version


def test_a_store_refuses_another_sources_data(app, container) -> None:
    cli = app.test_cli_runner()
    assert cli.invoke(args=["collect", "--as-of", "2026-11-27"]).exit_code == 0
    runs = container.archive.list_runs()
    for args in (["collect", "--source", REPLAY, "--as-of", "2024-03-08"], ["backfill", "--days", "5", "--source", REPLAY]):
        refused = cli.invoke(args=args)
        assert refused.exit_code == 1, refused.output
        assert "holds simulated data" in refused.output and "mix" in refused.output
    assert container.archive.list_runs() == runs  # nothing written, not even a manifest
    assert cli.invoke(args=["collect", "--as-of", "2026-11-25"]).exit_code == 0  # the store's own source goes on
