"""One contract, every Store: local directory, S3 through moto in-process, S3 through moto's server."""
from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Callable
from urllib.request import urlopen

import boto3
import pytest

from shared.errors import ImmutableObjectError, ObjectNotFound, PointerConflict, StorageError
from shared.adapters.storage import MUST_NOT_EXIST, LocalStore, S3Store, Store, etag_of, open_store


@pytest.fixture(params=["local", "s3-moto", "s3-server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    if request.param == "s3-moto":
        request.getfixturevalue("mocked_aws")
        client = boto3.client("s3", region_name="us-east-1")
    else:
        client = request.getfixturevalue("server_s3")
    bucket = f"dipwatch-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return S3Store(bucket, "prefix/dipwatch", client=client)


def test_get_missing_raises_object_not_found(store: Store) -> None:
    with pytest.raises(ObjectNotFound):
        store.get("reports/2026-01-02.csv")
    assert store.exists("reports/2026-01-02.csv") is False


def test_immutable_put_then_get(store: Store) -> None:
    assert store.put_immutable("bars/2026-01-02.csv", b"a,b\n1,2\n") is True
    assert store.get("bars/2026-01-02.csv") == b"a,b\n1,2\n"
    assert store.exists("bars/2026-01-02.csv")


def test_same_bytes_again_is_a_no_op(store: Store) -> None:
    store.put_immutable("bars/2026-01-02.csv", b"x")
    assert store.put_immutable("bars/2026-01-02.csv", b"x") is False
    assert store.get("bars/2026-01-02.csv") == b"x"


def test_different_bytes_is_an_error_and_history_stays(store: Store) -> None:
    store.put_immutable("bars/2026-01-02.csv", b"original")
    with pytest.raises(ImmutableObjectError):
        store.put_immutable("bars/2026-01-02.csv", b"rewritten")
    assert store.get("bars/2026-01-02.csv") == b"original"


def test_list_is_sorted_and_scoped_by_prefix(store: Store) -> None:
    for key in ["reports/2026-01-05.csv", "bars/2026-01-05.csv", "bars/2026-01-02.csv", "runs/a.json"]:
        store.put_immutable(key, b"1")
    assert store.list("bars/") == ["bars/2026-01-02.csv", "bars/2026-01-05.csv"]
    assert store.list("nothing/") == []


def test_pointer_compare_and_swap(store: Store) -> None:
    first = store.put_pointer("reports/latest.json", b"{1}", expected_etag=MUST_NOT_EXIST)
    assert first == etag_of(b"{1}")
    with pytest.raises(PointerConflict):
        store.put_pointer("reports/latest.json", b"{x}", expected_etag=MUST_NOT_EXIST)
    second = store.put_pointer("reports/latest.json", b"{2}", expected_etag=first)
    with pytest.raises(PointerConflict):
        store.put_pointer("reports/latest.json", b"{3}", expected_etag=first)  # stale ETag
    data, etag = store.get_with_etag("reports/latest.json")
    assert (data, etag) == (b"{2}", second)
    assert store.put_pointer("reports/latest.json", b"{4}") == etag_of(b"{4}")  # unconditional


def test_concurrent_immutable_writers_one_wins(store: Store) -> None:
    results: list[object] = []

    def write(payload: bytes) -> None:
        try:
            results.append(store.put_immutable("bars/2026-01-02.csv", payload))
        except ImmutableObjectError as error:
            results.append(error)

    threads = [threading.Thread(target=write, args=(f"payload-{i}".encode(),)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
    assert sum(isinstance(r, ImmutableObjectError) for r in results) == 5
    assert store.get("bars/2026-01-02.csv").startswith(b"payload-")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "bars/../x", ""])
def test_bad_keys_are_refused(store: Store, key: str) -> None:
    with pytest.raises(StorageError):
        store.put_immutable(key, b"x")


def test_local_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_immutable("bars/2026-01-02.csv", b"x")
    with pytest.raises(ImmutableObjectError):
        store.put_immutable("bars/2026-01-02.csv", b"y")
    store.put_pointer("reports/latest.json", b"{}")
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []


def test_s3_presigned_url_downloads_through_moto_server(server_s3) -> None:
    server_s3.create_bucket(Bucket="dipwatch-links")
    store = S3Store("dipwatch-links", "p", client=server_s3)
    store.put_immutable("reports/2026-01-02.csv", b"rank,symbol\n1,AAA\n")
    url = store.presigned_url("reports/2026-01-02.csv", 60)
    assert url is not None and "Signature" in url
    with urlopen(url, timeout=10) as response:  # noqa: S310 - loopback moto server
        assert response.read() == b"rank,symbol\n1,AAA\n"
        assert response.headers["Content-Disposition"] == 'attachment; filename="2026-01-02.csv"'
        assert response.headers["Content-Type"] == "text/csv"


@pytest.mark.parametrize(
    ("location", "kind"),
    [("./var/data", LocalStore), ("file:///tmp/dw", LocalStore), ("s3://bucket/prefix", S3Store)],
)
def test_open_store_by_location(location: str, kind: Callable, aws_env: None) -> None:
    assert isinstance(open_store(location), kind)
