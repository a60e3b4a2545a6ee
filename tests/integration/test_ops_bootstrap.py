"""`ops bootstrap`'s set-up against moto: the bucket, the parameters, the role, the topic and the alarms; twice changes nothing."""
from __future__ import annotations

import json

import boto3
import pytest

from deploy.alarms import ALARMED_METRICS
from deploy.provisioning import LAMBDA_TRUST, PUBLIC_ACCESS_BLOCK, ROLE_POLICY_NAME, provision
from deploy.stage import StageResources, render_policy
from shared.adapters.storage import S3Store

GIVEN = {
    "APCA_API_KEY_ID": "PKLIVEKEY",
    "APCA_API_SECRET_KEY": "alpaca-secret-value",
    "TELEGRAM_BOT_TOKEN": "123456:bot-token-value",
    "TELEGRAM_ALLOWED_USERS": "4242",
}


def no_prompt(name: str, secret: bool) -> str:
    raise AssertionError(f"prompted for {name}")


def test_bootstrap_creates_everything_then_changes_nothing(mocked_aws: None) -> None:
    session = boto3.Session(region_name="us-east-1")
    asked: list[tuple[str, bool]] = []

    def prompt(name: str, secret: bool) -> str:
        asked.append((name, secret))
        return "-1001234" if name == "TELEGRAM_ADMIN_CHAT" else ""

    first = provision("prod", session, GIVEN, prompt, email="ops@example.com")
    assert asked == [("TELEGRAM_ADMIN_CHAT", False)]  # the only value neither given, stored nor generated
    assert {change.action for change in first} == {"created"}

    s3 = session.client("s3")
    assert s3.get_public_access_block(Bucket="dipwatch-data")["PublicAccessBlockConfiguration"] == PUBLIC_ACCESS_BLOCK
    rule = s3.get_bucket_encryption(Bucket="dipwatch-data")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket="dipwatch-data")["Rules"]
    expiring = [rule for rule in lifecycle if "Expiration" in rule]
    # only the update markers and the window snapshots (a derived cache) expire; no stored history does
    assert {rule["Filter"]["Prefix"]: rule["Expiration"] for rule in expiring} == {"prod/state/updates/": {"Days": 2}, "prod/windows/": {"Days": 10}}
    history = ["prod/bars/2026-11-27.csv", "prod/reports/2026-11-27.csv", "prod/runs/x.json", "prod/additions/2026-11-27.1.csv"]
    assert not [key for key in history for rule in expiring if key.startswith(rule["Filter"]["Prefix"])]
    assert s3.get_bucket_versioning(Bucket="dipwatch-data")["Status"] == "Enabled"

    ssm = session.client("ssm")
    stored = {p["Name"].rsplit("/", 1)[-1]: p for p in ssm.get_parameters_by_path(Path="/dipwatch/prod", WithDecryption=True)["Parameters"]}
    assert stored["TELEGRAM_BOT_TOKEN"]["Type"] == "SecureString" and stored["TELEGRAM_BOT_TOKEN"]["Value"] == GIVEN["TELEGRAM_BOT_TOKEN"]
    assert stored["TELEGRAM_ALLOWED_USERS"]["Type"] == "String" and stored["TELEGRAM_ADMIN_CHAT"]["Value"] == "-1001234"
    assert len(stored["TELEGRAM_WEBHOOK_SECRET"]["Value"]) >= 32 and len(stored["DIPWATCH_SECRET_KEY"]["Value"]) >= 32

    iam = session.client("iam")
    role = iam.get_role(RoleName="dipwatch-prod-lambda")["Role"]
    assert role["AssumeRolePolicyDocument"] == LAMBDA_TRUST
    policy = iam.get_role_policy(RoleName="dipwatch-prod-lambda", PolicyName=ROLE_POLICY_NAME)["PolicyDocument"]
    key = session.client("kms").describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
    assert policy == render_policy(StageResources.of("prod"), "123456789012", key)
    assert iam.list_role_policies(RoleName="dipwatch-prod-lambda")["PolicyNames"] == [ROLE_POLICY_NAME]
    assert iam.list_attached_role_policies(RoleName="dipwatch-prod-lambda")["AttachedPolicies"] == []

    alarms = session.client("cloudwatch").describe_alarms(AlarmNamePrefix="dipwatch-prod-")["MetricAlarms"]
    topic = next(t["TopicArn"] for t in session.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":dipwatch-prod-alarms"))
    assert len(alarms) == 13 and all(alarm["AlarmActions"] == [topic] for alarm in alarms)
    watched = {alarm.get("MetricName") for alarm in alarms} | {m["MetricStat"]["Metric"]["MetricName"] for a in alarms for m in a.get("Metrics", []) if "MetricStat" in m}
    assert {metric for family in ALARMED_METRICS.values() for metric in family} <= watched
    assert {"Errors", "Throttles"} <= watched
    overdue = next(alarm for alarm in alarms if alarm["AlarmName"] == "dipwatch-prod-collection-overdue")
    assert overdue["TreatMissingData"] == "breaching" and overdue["Period"] * overdue["EvaluationPeriods"] == 26 * 3600

    again = provision("prod", session, GIVEN, no_prompt, email="ops@example.com")
    assert [change.action for change in again] == ["unchanged"] * len(again)
    assert len(again) == len(first)


def test_a_changed_secret_is_updated_and_nothing_else(mocked_aws: None) -> None:
    session = boto3.Session(region_name="us-east-1")
    provision("dev", session, {**GIVEN, "TELEGRAM_ADMIN_CHAT": "-1"}, no_prompt)
    changes = provision("dev", session, {"TELEGRAM_BOT_TOKEN": "123456:rotated"}, no_prompt)
    changed = [change.resource for change in changes if change.action != "unchanged"]
    assert changed == ["ssm /dipwatch/dev/TELEGRAM_BOT_TOKEN"]
    value = session.client("ssm").get_parameter(Name="/dipwatch/dev/TELEGRAM_BOT_TOKEN", WithDecryption=True)["Parameter"]["Value"]
    assert value == "123456:rotated"


def test_the_store_keeps_its_guarantees_on_the_bootstrapped_bucket(mocked_aws: None) -> None:
    provision("prod", boto3.Session(region_name="us-east-1"), {**GIVEN, "TELEGRAM_ADMIN_CHAT": "-1"}, no_prompt)
    store = S3Store("dipwatch-data", "prod")
    assert store.put_immutable("bars/2026-01-02.csv", b"a") is True
    assert store.put_immutable("bars/2026-01-02.csv", b"a") is False
    with pytest.raises(Exception, match="never rewritten"):
        store.put_immutable("bars/2026-01-02.csv", b"b")
    etag = store.put_pointer("reports/latest.json", b"{}", expected_etag="")
    store.put_pointer("reports/latest.json", b'{"a": 1}', expected_etag=etag)
    assert json.loads(store.get("reports/latest.json")) == {"a": 1}


def test_the_cli_reads_the_environment_prompts_and_never_prints_a_value(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from app.ops import ops_group

    for name, value in GIVEN.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(ops_group, ["bootstrap", "--stage", "prod"], input="-100555\n")
    assert result.exit_code == 0, result.output
    assert "created   ssm /dipwatch/prod/TELEGRAM_ADMIN_CHAT" in result.output
    assert all(value not in result.output for value in GIVEN.values())
    again = CliRunner().invoke(ops_group, ["bootstrap", "--stage", "prod"])
    assert again.exit_code == 0 and again.output.rstrip().endswith("0 change(s), 28 already in place"), again.output


def test_the_cli_refuses_a_bad_value_before_writing_anything(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from app.ops import ops_group

    for name, value in {**GIVEN, "TELEGRAM_ADMIN_CHAT": "not-a-number"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(ops_group, ["bootstrap", "--stage", "prod"])
    assert result.exit_code == 2 and "TELEGRAM_ADMIN_CHAT must be a whole number" in result.output
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


def test_each_stage_keeps_its_marker_rule_in_the_shared_bucket(mocked_aws: None) -> None:
    session = boto3.Session(region_name="us-east-1")
    provision("prod", session, {**GIVEN, "TELEGRAM_ADMIN_CHAT": "-1"}, no_prompt)
    changes = provision("dev", session, {**GIVEN, "TELEGRAM_ADMIN_CHAT": "-1"}, no_prompt)
    assert "updated" in {change.action for change in changes if change.resource.endswith("lifecycle")}
    rules = session.client("s3").get_bucket_lifecycle_configuration(Bucket="dipwatch-data")["Rules"]
    assert sorted(rule["Filter"]["Prefix"] for rule in rules if "Expiration" in rule) == ["dev/state/updates/", "dev/windows/", "prod/state/updates/", "prod/windows/"]
    again = provision("prod", session, {}, no_prompt)
    assert {change.action for change in again} == {"unchanged"}
