"""AWS fixtures: moto in-process and moto's server mode over real HTTP on loopback."""
from __future__ import annotations

from typing import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, so nothing can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def mocked_aws(aws_env: None) -> Iterator[None]:
    """moto in-process."""
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server mode on a free loopback port; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def server_s3(moto_server: str, aws_env: None):
    """A boto3 S3 client that talks to the moto server over HTTP."""
    return boto3.client("s3", endpoint_url=moto_server, region_name=REGION)
