"""Failures that explain themselves (issue 11, item 7): a full disk or read-only store, bad
``DIPWATCH_STORAGE`` values, and temporary files, each ending in one summary line and one JSON
log line, with nothing half-written left behind."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from app import create_app
from shared.adapters import local_store
from shared.adapters.storage import LocalStore, S3Store
from tests.reliability.store_kit import audit_clean, empty_store, lost, print_figures, record, snapshot, store, wired  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]


def break_writes(monkeypatch: pytest.MonkeyPatch, store, code: int, after: int = 0) -> None:  # noqa: ANN001
    """Every write to ``store`` after the first ``after`` fails with ``code`` (ENOSPC: full, EROFS: read-only)."""
    calls = {"n": 0}
    if isinstance(store, LocalStore):
        real = os.fsync

        def fsync(fd: int) -> None:
            calls["n"] += 1
            if calls["n"] > after:
                raise OSError(code, os.strerror(code))
            real(fd)

        monkeypatch.setattr(local_store.os, "fsync", fsync)
        return
    client = store._client
    real_put = client.put_object

    def put_object(**params):  # noqa: ANN003, ANN202
        calls["n"] += 1
        if calls["n"] > after:
            raise ClientError({"Error": {"Code": "AccessDenied" if code == errno.EROFS else "InternalError", "Message": os.strerror(code)}}, "PutObject")
        return real_put(**params)

    monkeypatch.setattr(client, "put_object", put_object)


WHEN = {"first write": 0, "among the bars": 2, "after the bars": 5}
FAULTS = [(kind, f"{name} at {when}") for kind, name in (("local", "disk full"), ("local", "read-only"), ("s3", "read-only")) for when in WHEN] + [("s3", "disk full at among the bars")]


@pytest.mark.parametrize(("kind", "fault"), FAULTS)
def test_a_full_or_read_only_store_ends_with_a_summary_line_and_a_log_line(settings, request, tmp_path, monkeypatch, caplog, kind: str, fault: str) -> None:
    store = empty_store(kind, request, tmp_path)
    name, _at, when = fault.partition(" at ")
    code, after = (errno.ENOSPC if name == "disk full" else errno.EROFS), WHEN[when]
    healthy = wired(settings, store)
    healthy.collection.collect(healthy.collection.resolve_as_of(None).replace(day=20))  # some history first
    before = snapshot(store)
    break_writes(monkeypatch, store, code, after)
    container = wired(settings, store)
    result = create_app(container=container).test_cli_runner().invoke(args=["collect"])
    monkeypatch.undo()
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("collect: failed: cannot write"), result.output
    assert "DIPWATCH_STORAGE" in lines[0] and "Traceback" not in result.output
    assert any(entry.getMessage() == "collect failed" for entry in caplog.records)
    if isinstance(store, LocalStore):
        assert not [path for path in store.root.rglob("*.tmp")]  # removed on failure
    audit_clean(wired(settings, store))  # nothing half-written
    data_lost = lost(before, store)
    record(__name__, lost=data_lost)
    assert data_lost == 0
    assert wired(settings, store).collection.collect().outcome == "complete"  # and the next run completes


def test_backfill_on_a_full_disk_ends_the_same_way(settings, tmp_path: Path, monkeypatch, caplog) -> None:
    store = LocalStore(tmp_path / "store")
    break_writes(monkeypatch, store, errno.ENOSPC)
    result = create_app(container=wired(settings, store)).test_cli_runner().invoke(args=["backfill", "--days", "10"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and "No space left on device" in lines[0], result.output
    assert any(entry.getMessage() == "backfill failed" for entry in caplog.records)
    record(__name__)


def test_temporary_files_older_than_an_hour_are_cleaned_at_the_start_of_a_run(settings, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    (store.root / "bars").mkdir(parents=True)
    old = store.root / "bars" / ".2026-11-20.csv.abc123.tmp"
    young = store.root / "bars" / ".2026-11-23.csv.def456.tmp"
    for path in (old, young):
        path.write_bytes(b"half a day")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    wired(settings, store).collection.collect()
    assert not old.exists() and young.exists()  # a young one may be another run's write in flight
    record(__name__, cases=2)


BAD_STORAGE = {
    "a file": "{tmp}/a-file",
    "an unwritable place": "/proc/dipwatch-store",
    "a directory under a file": "{tmp}/a-file/store",
    "a bucket name S3 refuses": "s3://Not_A_Bucket!/dipwatch",
    "no bucket": "s3:///dipwatch",
    "a file URL with a host": "file://somehost/data",
    "a scheme we do not speak": "ftp://example.com/data",
    "a bucket without credentials": "s3://dipwatch-no-such-bucket-0/prefix",
}


@pytest.mark.parametrize("kind", list(BAD_STORAGE))
def test_a_bad_dipwatch_storage_is_one_line_naming_it(tmp_path: Path, kind: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    universe = tmp_path / "universe.csv"
    universe.write_text("symbol,name,sector\nAAPL,Apple,Information Technology\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DIPWATCH_STORAGE": BAD_STORAGE[kind].format(tmp=tmp_path),
        "DIPWATCH_UNIVERSE": str(universe),
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",  # nothing listens: fails at once, offline
    }
    completed = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "collect"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = [line for line in (completed.stdout + completed.stderr).splitlines() if line.strip() and not line.startswith("{")]
    said = [line for line in output if not line.startswith(("Usage:", "Try "))]
    record(__name__, failures=int(completed.returncode == 0 or len(said) != 1 or "DIPWATCH_STORAGE" not in said[0]))
    assert completed.returncode != 0 and len(said) == 1 and "DIPWATCH_STORAGE" in said[0], completed.stdout + completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr


def test_a_failed_manifest_never_hides_the_run_s_own_failure(settings, store, monkeypatch, caplog) -> None:
    from shared.errors import MarketDataError

    class Down:
        label = "simulated"

        def fetch_bars(self, *_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
            raise MarketDataError("the source is down")

    break_writes(monkeypatch, store, errno.ENOSPC)
    container = wired(settings, store, market_data=Down())
    result = create_app(container=container).test_cli_runner().invoke(args=["collect"])
    assert result.exit_code == 1 and result.output.strip() == "collect: failed: the source is down", result.output
    messages = [entry.getMessage() for entry in caplog.records]
    assert "could not write the run manifest" in messages and "collect failed" in messages
    record(__name__)
