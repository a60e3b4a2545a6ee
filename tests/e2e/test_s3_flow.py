"""The whole flow on S3, over HTTP through moto's server: collect, then read through the app."""
from __future__ import annotations

import uuid
from urllib.request import urlopen

import boto3
import pytest

from app import create_app
from shared.bootstrap import bootstrap
from shared.config import Settings
from tests.conftest import fixed_clock


@pytest.fixture
def s3_settings(moto_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch, universe_file) -> Settings:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    bucket = f"dipwatch-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    return Settings.from_env({"DIPWATCH_STORAGE": f"s3://{bucket}/prod", "DIPWATCH_UNIVERSE": str(universe_file)})


def test_collect_to_s3_and_serve_from_it(s3_settings: Settings) -> None:
    container = bootstrap(s3_settings, clock=fixed_clock)
    summary = container.collection.collect()
    assert summary.outcome == "complete"
    bucket = s3_settings.storage.split("/")[2]
    keys = [item["Key"] for item in boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=bucket, Prefix="prod/reports/")["Contents"]]
    assert sorted(keys) == ["prod/reports/2026-11-27.changes.json", "prod/reports/2026-11-27.csv", "prod/reports/latest.json"]

    client = create_app(container=container).test_client()
    assert client.get("/api/status").get_json()["last_run"]["ranked"] == summary.ranked
    link = client.get("/api/reports/2026-11-27/download").get_json()["url"]
    assert link.startswith("http://127.0.0.1") and "Signature" in link
    with urlopen(link, timeout=10) as response:  # noqa: S310 - loopback moto server
        assert response.read() == container.store.get("reports/2026-11-27.csv")

    again = container.collection.collect()
    assert again.days_written == [] and again.report_written is False
