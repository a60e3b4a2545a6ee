"""The offline proof: the zip's own handler, only the unzipped package on the path, as Lambda runs it.

AWS is moto's server in its own process with IAM enforcement on: the function's credentials are
a moto user holding exactly ``deploy/lambda-policy.json`` rendered for the prod stage. Market
data is the Alpaca emulator and the Bot API the Telegram emulator, both over real HTTP. The
stage's settings are the ones in ``zappa_settings.json`` (Zappa's handler applies them):
``s3://dipwatch-data/prod``, secrets from SSM under ``/dipwatch/prod``, ``debug`` off,
``log_level`` INFO.
"""
from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from deploy.stage import StageResources, render_policy
from shared.adapters.market_data import SimulatedMarketData
from shared.adapters.universe import load_universe
from tests.emulators.alpaca import AlpacaEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.lambda_runtime import ACCOUNT, REGION, ROOT, Invocation, api_event, invoke, scheduled_event, unzip, webhook_event

OWNER = 4242
ADMIN_CHAT = -100777
STAGE = StageResources.of("prod")
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-aaaa-bbbb-cccc-000000000001"


@dataclass
class Cloud:
    """The moto server and the two identities on it."""

    endpoint: str
    function_keys: dict[str, str]  # exactly the repo's policy
    operator_keys: dict[str, str]  # everything: the test's own view

    def client(self, service: str, keys: dict[str, str]):  # noqa: ANN201 - a boto3 client
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint, **keys)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keys(iam, user: str, policy: dict) -> dict[str, str]:  # noqa: ANN001 - boto3 client
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="policy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def stage_secrets() -> dict[str, str]:
    """The prod stage's secrets, fresh for this run (so a leak cannot hide behind a common value)."""
    return {
        "TELEGRAM_BOT_TOKEN": f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(24)}",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "APCA_API_KEY_ID": "PK" + secrets.token_hex(9).upper(),
        "APCA_API_SECRET_KEY": secrets.token_urlsafe(30),
        "DIPWATCH_SECRET_KEY": secrets.token_urlsafe(32),
    }


@pytest.fixture(scope="module")
def cloud(stage_secrets: dict[str, str]) -> Iterator[Cloud]:
    """moto's server (own process), set up without auth, then enforcing IAM for every request."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators.moto_iam", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(100):
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        setup = {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        boto3.client("s3", region_name=REGION, endpoint_url=endpoint, **setup).create_bucket(Bucket=STAGE.bucket)
        ssm = boto3.client("ssm", region_name=REGION, endpoint_url=endpoint, **setup)
        for name, value in stage_secrets.items():
            ssm.put_parameter(Name=f"{STAGE.ssm_path}/{name}", Value=value, Type="SecureString")
        ssm.put_parameter(Name=f"{STAGE.ssm_path}/TELEGRAM_ALLOWED_USERS", Value=str(OWNER), Type="String")
        ssm.put_parameter(Name=f"{STAGE.ssm_path}/TELEGRAM_ADMIN_CHAT", Value=str(ADMIN_CHAT), Type="String")
        ssm.put_parameter(Name="/dipwatch/dev/TELEGRAM_BOT_TOKEN", Value="dev-stage-token", Type="SecureString")
        iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint, **setup)
        function_keys = _keys(iam, "dipwatch-prod-function", render_policy(STAGE, ACCOUNT, KMS_KEY))
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        operator_keys = _keys(iam, "operator", everything)
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
        yield Cloud(endpoint, function_keys, operator_keys)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def alpaca(stage_secrets: dict[str, str]) -> Iterator[AlpacaEmulator]:
    """The Alpaca emulator serving simulated bars of the whole universe, with the stage's keys."""
    universe = load_universe()
    simulated = SimulatedMarketData(dict(zip(universe["symbol"], universe["sector"])))
    bars = simulated.fetch_bars(universe["symbol"].tolist(), date(2025, 5, 1), date(2026, 12, 31)).bars
    with AlpacaEmulator(bars, key_id=stage_secrets["APCA_API_KEY_ID"], secret_key=stage_secrets["APCA_API_SECRET_KEY"]) as server:
        yield server


@pytest.fixture(scope="module")
def telegram(stage_secrets: dict[str, str]) -> Iterator[TelegramEmulator]:
    server = TelegramEmulator(token=stage_secrets["TELEGRAM_BOT_TOKEN"]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def task_root(lambda_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unzip(lambda_package, tmp_path_factory.mktemp("var-task") / "task")


@pytest.fixture(scope="module")
def run_container(task_root: Path, cloud: Cloud, alpaca: AlpacaEmulator, telegram: TelegramEmulator):
    """Run events in one fresh container, with the function's credentials and the emulators' URLs."""
    keys = cloud.function_keys
    env = {
        "AWS_ACCESS_KEY_ID": keys["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
        "AWS_ENDPOINT_URL": cloud.endpoint,
        "APCA_API_BASE_URL": alpaca.url,
        "APCA_API_DATA_URL": alpaca.url,
        "TELEGRAM_API_URL": telegram.url,
        "DIPWATCH_ALPACA_BACKOFF": "0.01",
    }
    return lambda events: invoke(task_root, events, env)


@pytest.fixture(scope="module")
def web_run(run_container, stage_secrets: dict[str, str]) -> Invocation:
    """A container serving web and webhook requests around one collection."""
    secret = stage_secrets["TELEGRAM_WEBHOOK_SECRET"]
    return run_container(
        [
            api_event("/healthz"),
            {"command": "app.jobs.collect_daily", "force": True},
            api_event("/api/status"),
            webhook_event("/top 5", secret, OWNER, update_id=9001),
            webhook_event("/top 5", "not-the-" + secret[:20], OWNER, update_id=9002),
            api_event("/api/reports/not-a-day"),
        ]
    )


def test_healthz_loads_neither_pandas_nor_telegram_nor_the_cli(run_container) -> None:
    run = run_container([api_event("/healthz")])
    assert run.results[0]["statusCode"] == 200
    assert not {"pandas", "numpy", "telegram", "app.cli", "shared.bootstrap", "alpaca_trade_api"} & set(run.modules)


def test_web_routes_answer_200(web_run: Invocation) -> None:
    health, _collect, status, *_rest = web_run.results
    assert health["statusCode"] == 200 and json.loads(health["body"]) == {"status": "ok"}
    assert status["statusCode"] == 200
    body = json.loads(status["body"])
    assert body["storage"] == "s3" and body["market_data"] == "alpaca"  # kinds, never a bucket or a path
    assert "dipwatch-data" not in status["body"]
    assert body["last_run"]["outcome"] == "complete" and body["last_run"]["ranked"] > 990


def test_webhook_answers_top_with_the_secret_from_ssm_and_refuses_a_wrong_one(web_run: Invocation) -> None:
    right, wrong = web_run.results[3], web_run.results[4]
    assert right["statusCode"] == 200
    call = json.loads(right["body"])
    assert call["method"] == "sendMessage" and call["chat_id"] == OWNER
    symbols = [button for row in call["reply_markup"]["inline_keyboard"] for button in row if button["callback_data"].startswith("s:")]
    assert call["text"].startswith("<b>Top 1–5 of ") and len(symbols) == 5  # five ranked rows, a button each
    assert wrong["statusCode"] == 403
    assert "app.cli" not in web_run.modules
    requests_logged = [json.loads(line) for line in web_run.stderr.splitlines() if line.startswith("{") and '"path":"/telegram/webhook"' in line]
    assert requests_logged and all(line["function_request_id"].startswith("req-") for line in requests_logged)
    emf = [json.loads(line) for line in web_run.stdout.splitlines() if line.startswith('{"_aws"')]
    webhook = [line for line in emf if "WebhookRequests" in line]
    assert len(webhook) == 2 and all(line["service"] == "dipwatch-prod" for line in webhook)
    assert any(line.get("command") == "top" and "Commands" in line for line in emf)


def test_the_function_writes_only_its_stage_prefix(web_run: Invocation, cloud: Cloud) -> None:
    operator = cloud.client("s3", cloud.operator_keys)
    written = [item["Key"] for item in operator.list_objects_v2(Bucket=STAGE.bucket)["Contents"]]
    assert written and all(key.startswith("prod/") for key in written)
    s3 = cloud.client("s3", cloud.function_keys)
    s3.put_object(Bucket=STAGE.bucket, Key="prod/probe/inside.txt", Body=b"ok")
    for key in ("dev/probe.txt", "probe.txt", "prodx/probe.txt"):
        with pytest.raises(ClientError, match="AccessDenied"):
            s3.put_object(Bucket=STAGE.bucket, Key=key, Body=b"no")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=STAGE.bucket, Key="prod/probe/inside.txt")  # history is append-only
    with pytest.raises(ClientError, match="AccessDenied"):
        cloud.client("ssm", cloud.function_keys).get_parameter(Name="/dipwatch/dev/TELEGRAM_BOT_TOKEN", WithDecryption=True)


def test_no_secret_in_the_logs_with_production_settings_through_an_error_path(
    run_container, web_run: Invocation, alpaca: AlpacaEmulator, cloud: Cloud, stage_secrets: dict[str, str]
) -> None:
    # The latest day's bars go missing, and Alpaca answers 500 to every retry: the run fails.
    as_of = web_run.results[1]["as_of"]
    cloud.client("s3", cloud.operator_keys).delete_object(Bucket=STAGE.bucket, Key=f"prod/bars/{as_of}.csv")
    alpaca.faults.statuses = [500] * 200
    failed = run_container([{"command": "app.jobs.collect_daily", "force": True}, api_event("/api/status")])
    assert json.loads(failed.results[1]["body"])["last_run"]["outcome"] == "failed"
    alpaca.faults.statuses = []
    output = web_run.stdout + web_run.stderr + failed.stdout + failed.stderr
    assert "collection failed" in output and "telegram webhook refused" in output  # the error paths were logged
    for name, value in {**stage_secrets, "AWS_SECRET_ACCESS_KEY": cloud.function_keys["aws_secret_access_key"]}.items():
        assert value not in output, f"{name} appears in the function's output"


# --- the morning job, as EventBridge and `zappa invoke` drive it ------------------------------------


def test_scheduled_slots_collect_exactly_once_at_six_new_york(run_container, web_run: Invocation) -> None:
    slots = ["2026-01-15T10:00:00Z", "2026-01-15T11:00:00Z", "2026-07-15T10:00:00Z", "2026-07-15T11:00:00Z"]
    run = run_container([scheduled_event(at) for at in slots])
    outcomes = [(result["outcome"], result["as_of"]) for result in run.results]
    assert outcomes == [("skipped", None), ("complete", "2026-01-14"), ("complete", "2026-07-14"), ("skipped", "2026-07-14")]
    emf = [json.loads(line) for line in run.stdout.splitlines() if line.startswith('{"_aws"')]
    outcome_names = [m["Name"] for line in emf for block in line["_aws"]["CloudWatchMetrics"] for m in block["Metrics"] if m["Name"].startswith("Runs")]
    assert outcome_names == ["RunsSkipped", "RunsComplete", "RunsComplete", "RunsSkipped"]  # one per invocation
    collected = [line for line in emf if "SymbolsRanked" in line]
    assert len(collected) == 2 and all(line["Coverage"][0] > 99 and line["S3Requests"][0] > 0 and line["AlpacaRequests"][0] > 0 for line in collected)


def test_after_a_failed_six_oclock_run_the_seven_oclock_run_collects(run_container, web_run: Invocation, alpaca: AlpacaEmulator, telegram: TelegramEmulator) -> None:
    alpaca.faults.statuses = [500] * 400
    try:
        failed = run_container([scheduled_event("2025-07-15T10:00:00Z")])  # 06:00 EDT; days not stored yet
    finally:
        alpaca.faults.statuses = []
    assert failed.results[0]["outcome"] == "failed"
    retried = run_container([scheduled_event("2025-07-15T11:00:00Z"), scheduled_event("2025-07-15T12:00:00Z")])
    assert [(r["outcome"], r["as_of"]) for r in retried.results] == [("complete", "2025-07-14"), ("skipped", "2025-07-14")]
    admin_alerts = [call for call in telegram.of("sendMessage") if str(call.params.get("chat_id")) == str(ADMIN_CHAT) and "2025-07-14" in str(call.params.get("text"))]
    assert len(admin_alerts) == 1 and "failed" in admin_alerts[0].params["text"]


def test_a_redelivered_event_sends_no_second_digest(run_container, web_run: Invocation, stage_secrets: dict[str, str], telegram: TelegramEmulator) -> None:
    def digests() -> int:
        return sum(str(call.params.get("chat_id")) == str(OWNER) and "dipwatch daily" in str(call.params.get("text")) for call in telegram.of("sendMessage"))

    subscribed = run_container([webhook_event("/subscribe", stage_secrets["TELEGRAM_WEBHOOK_SECRET"], OWNER, update_id=9100)])
    assert subscribed.results[0]["statusCode"] == 200
    before = digests()
    event = scheduled_event("2026-10-14T10:00:00Z")
    first = run_container([event])
    assert first.results[0]["outcome"] == "complete" and digests() == before + 1
    again = run_container([event, event])  # EventBridge delivers it again, to a new container
    assert [r["outcome"] for r in again.results] == ["skipped", "skipped"]
    forced = run_container([{"command": "app.jobs.collect_daily", "force": True}])  # collects again by hand
    assert forced.results[0]["outcome"] == "complete"
    forced_again = run_container([{"command": "app.jobs.collect_daily", "force": True}])
    assert forced_again.results[0]["outcome"] == "complete"
    assert digests() == before + 2  # the 10-14 digest, and one for the hand-collected session; no repeats
