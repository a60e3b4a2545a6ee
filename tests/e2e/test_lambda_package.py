"""The Zappa package, built offline and invoked as Lambda would: API Gateway and scheduled events.

The package is unzipped and its handler run by a bare interpreter (-I -S: no site-packages), so
anything missing from the zip fails here. S3 and SSM are moto's server, over HTTP.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from app.jobs import RUN_HOUR_NEW_YORK
from shared.core.trading_calendar import NEW_YORK, is_trading_day

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "build" / "dipwatch-lambda.zip"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

INVOKE = r"""
import json, sys
sys.path.insert(0, ".")
from handler import lambda_handler

class Context:
    function_name = "dipwatch-production"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:dipwatch-production"
    aws_request_id = "11111111-2222-3333-4444-555555555555"
    def get_remaining_time_in_millis(self):
        return 300000

results = [lambda_handler(event, Context()) for event in json.load(sys.stdin)]
print("RESULTS=" + json.dumps(results, default=str))
"""


def api_event(path: str) -> dict:
    """An API Gateway (REST, v1) proxy event."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-Proto": "https"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/production{path}",
            "stage": "production",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest"},
            "requestId": "req-1",
        },
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def unzipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package` once, unzipped into a temporary directory."""
    subprocess.run(["make", "--no-print-directory", "package"], cwd=ROOT, check=True, capture_output=True, timeout=900)
    target = tmp_path_factory.mktemp("lambda")
    with zipfile.ZipFile(PACKAGE) as archive:
        archive.extractall(target)
    return target


def scheduled_hour_now() -> bool:
    """Whether it is now the hour in which the scheduled collection runs (6 AM on a New York trading day)."""
    local = datetime.now(NEW_YORK)
    return local.hour == RUN_HOUR_NEW_YORK and is_trading_day(local.date())


def invoke(unzipped: Path, events: list[dict], moto_server: str) -> list:
    python = shutil.which("python3.11") or sys.executable
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "HOME": str(unzipped),
    }
    completed = subprocess.run(
        [python, "-I", "-S", "-c", INVOKE], cwd=unzipped, env=env, input=json.dumps(events), capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULTS="))
    return json.loads(line.removeprefix("RESULTS="))


def test_package_fits_lambda_and_holds_the_app(unzipped: Path) -> None:
    size = sum(path.stat().st_size for path in unzipped.rglob("*") if path.is_file())
    assert size < LAMBDA_UNZIPPED_LIMIT
    assert (unzipped / "handler.py").is_file() and (unzipped / "app" / "jobs.py").is_file()
    assert (unzipped / "shared" / "data" / "russell1000.csv").is_file()
    assert not (unzipped / "tests").exists() and not (unzipped / ".venv").exists()


def test_packaged_handler_serves_http_and_runs_the_collector(unzipped: Path, moto_server: str, aws_env: None, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    s3 = boto3.client("s3", region_name="us-east-1")
    if "dipwatch-data" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="dipwatch-data")
    scheduled = {
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/dipwatch-production-app.jobs.collect_daily"],
    }
    before = scheduled_hour_now()
    health, forced, status, timed = invoke(
        unzipped,
        [api_event("/healthz"), {"command": "app.jobs.collect_daily", "force": True}, api_event("/api/status"), scheduled],
        moto_server,
    )
    assert health["statusCode"] == 200 and json.loads(health["body"]) == {"status": "ok"}
    assert forced["outcome"] == "complete", forced
    assert status["statusCode"] == 200
    last_run = json.loads(status["body"])["last_run"]
    assert last_run["ranked"] == 1000 and last_run["source"] == "simulated"
    if before == scheduled_hour_now():  # the hour did not turn during the invocation
        # The scheduled event runs the collection only when it is 6 AM on a New York trading day.
        if before:
            assert timed["outcome"] == "complete" and timed["as_of"] == forced["as_of"]
        else:
            assert timed["skipped"] is True and "outcome" not in timed
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="dipwatch-data", Prefix="prod/reports/")["Contents"]]
    assert f"prod/reports/{forced['as_of']}.csv" in keys
