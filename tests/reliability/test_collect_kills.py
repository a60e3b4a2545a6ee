"""Kills and races (issue 11): 20 SIGKILLs at random points of a collection, each followed by
``store check`` and a run that must end with exactly the report of an unkilled run, and two
collectors at once. On a local directory and on S3 (moto's server, over HTTP)."""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
import uuid
from pathlib import Path
from typing import Callable

import boto3
import pytest

from shared.adapters.storage import LocalStore, S3Store
from shared.ports import Store
from tests.conftest import AS_OF
from tests.reliability.store_kit import audit_clean, print_figures, record, wired  # noqa: F401 - fixtures

#: 14 kills on a local directory, 6 on S3: 20 in all.
KILLS = {"local": 14, "s3": 6}
_FORK = multiprocessing.get_context("fork")


def open_store(kind: str, tmp_path: Path, endpoint: str) -> Callable[[], Store]:
    """A factory of one new store (each process opens its own client)."""
    name = uuid.uuid4().hex[:12]
    if kind == "local":
        root = tmp_path / name
        return lambda: LocalStore(root)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=f"dipwatch-{name}")
    return lambda: S3Store(f"dipwatch-{name}", "dipwatch", client=boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1"))


def run_in_child(settings, make_store: Callable[[], Store]) -> multiprocessing.process.BaseProcess:  # noqa: ANN001
    def collect() -> None:
        wired(settings, make_store()).collection.collect(AS_OF)
        os._exit(0)

    child = _FORK.Process(target=collect)
    child.start()
    return child


@pytest.fixture
def endpoint(moto_server: str, aws_env: None) -> str:
    return moto_server


@pytest.mark.parametrize("kind", list(KILLS))
def test_sigkill_at_random_points_never_corrupts_the_store(settings, tmp_path: Path, endpoint: str, kind: str) -> None:
    reference = open_store(kind, tmp_path, endpoint)
    started = time.monotonic()
    child = run_in_child(settings, reference)
    child.join(60)
    full = time.monotonic() - started
    assert child.exitcode == 0
    clean_report = reference().get(f"reports/{AS_OF.isoformat()}.csv")
    rng = random.Random(f"kills-{kind}")
    killed_before_commit = 0
    for _kill in range(KILLS[kind]):
        make_store = open_store(kind, tmp_path, endpoint)
        child = run_in_child(settings, make_store)
        time.sleep(rng.uniform(0.05, full))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        store = make_store()
        killed_before_commit += not store.list("runs/")
        audit_clean(wired(settings, store))  # store check after each kill: nothing corrupt
        finished = wired(settings, store).collection.collect(AS_OF)
        assert finished.outcome == "complete"
        same = store.get(f"reports/{AS_OF.isoformat()}.csv") == clean_report
        record(__name__, failures=int(not same), lost=int(not same))
        assert same  # nothing lost: the run after the kill ends exactly where an unkilled one does
        audit_clean(wired(settings, store))
    assert killed_before_commit >= 1  # the kills did land inside runs, not only after them


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_two_collectors_at_once_both_finish_and_agree(settings, tmp_path: Path, endpoint: str, kind: str) -> None:
    reference = open_store(kind, tmp_path, endpoint)
    wired(settings, reference()).collection.collect(AS_OF)
    make_store = open_store(kind, tmp_path, endpoint)
    first, second = run_in_child(settings, make_store), run_in_child(settings, make_store)
    first.join(60)
    second.join(60)
    store = make_store()
    record(__name__, cases=2, failures=int(first.exitcode != 0) + int(second.exitcode != 0))
    assert first.exitcode == 0 and second.exitcode == 0
    assert store.get(f"reports/{AS_OF.isoformat()}.csv") == reference().get(f"reports/{AS_OF.isoformat()}.csv")
    assert len(store.list("runs/")) == 2
    container = wired(settings, store)
    assert container.archive.read_latest()["as_of"] == AS_OF.isoformat()
    audit_clean(container)
