"""Set up a stage's AWS resources, idempotently: ``flask --app app ops bootstrap --stage prod``.

Creates or brings to the declared state, and reports each as created, updated or unchanged:
- the data bucket: public access blocked, encrypted (SSE-S3), versioned, and a
  lifecycle that never expires a current object of the history (only old versions of the few
  pointers, after 30 days, and abandoned multipart uploads); the bot's handled-update markers
  (``<stage prefix>/state/updates/``) expire after 2 days, and the window snapshots
  (``<stage prefix>/windows/``, a derived cache of which only the newest is read) after 10 days;
  one rule of each per stage, each stage's rules kept when another stage is set up;
- the SSM parameters under the stage's path: secrets as SecureString (the AWS-managed SSM key),
  the allowed users and the admin chat as String; values from the environment or prompts, the
  webhook secret and the link-signing key generated when absent;
- the function's role, trusting Lambda only, with exactly ``deploy/lambda-policy.json``;
- the SNS topic the alarms notify (optionally an e-mail subscription), and the alarms.
Running it again with the same inputs changes nothing.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from deploy.alarms import AlarmTarget, alarm_specs
from deploy.lambda_target import stage_settings
from deploy.stage import StageResources, render_policy
from shared.adapters.layout import WINDOW_SNAPSHOT_DAYS, WINDOWS_PREFIX
from shared.adapters.update_markers import MARKERS_PREFIX
from shared.config import SECRET_NAMES, SSM_SETTING_NAMES

#: Secrets, stored as SecureString; plain per-deployment settings kept with them, as String.
SECRET_PARAMETERS = SECRET_NAMES
PLAIN_PARAMETERS = SSM_SETTING_NAMES
#: Values made here when neither given nor stored.
GENERATED: dict[str, Callable[[], str]] = {
    "TELEGRAM_WEBHOOK_SECRET": lambda: secrets.token_urlsafe(32),
    "DIPWATCH_SECRET_KEY": lambda: secrets.token_urlsafe(32),
}
ROLE_POLICY_NAME = "dipwatch"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
LIFECYCLE = {
    "Rules": [
        {
            "ID": "dipwatch-append-only",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            # Current objects never expire: history is kept. Only replaced pointer versions go.
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
}
#: The ID of a stage's rule that expires its update markers: ``dipwatch-update-markers-<prefix>``.
MARKER_RULE = "dipwatch-update-markers-"
#: Days a marker lives: Telegram redelivers an update for at most 24 hours.
MARKER_DAYS = 2
#: The ID of a stage's rule that expires its window snapshots: ``dipwatch-window-snapshots-<prefix>``.
WINDOW_RULE = "dipwatch-window-snapshots-"
#: Prefixes of the rules that belong to one stage each.
_STAGE_RULES = (MARKER_RULE, WINDOW_RULE)


def _expiry_rule(rule: str, prefix: str, under: str, days: int) -> dict[str, Any]:
    return {
        "ID": f"{rule}{prefix}",
        "Filter": {"Prefix": f"{prefix}/{under}"},
        "Status": "Enabled",
        "Expiration": {"Days": days},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
    }


def stage_rules(prefix: str) -> list[dict[str, Any]]:
    """The lifecycle rules of the stage at ``prefix``: its update markers and its window snapshots
    expire (with their old versions); nothing of its history does."""
    return [_expiry_rule(MARKER_RULE, prefix, MARKERS_PREFIX, MARKER_DAYS), _expiry_rule(WINDOW_RULE, prefix, WINDOWS_PREFIX, WINDOW_SNAPSHOT_DAYS)]


def lifecycle(prefix: str, current: list[dict[str, Any]]) -> dict[str, Any]:
    """The bucket's lifecycle for the stage at ``prefix``: the history's rule, this stage's rules,
    and the rules of the other stages that share the bucket, in ID order."""
    own = stage_rules(prefix)
    ids = {rule["ID"] for rule in own}
    others = [rule for rule in current if str(rule.get("ID", "")).startswith(_STAGE_RULES) and rule["ID"] not in ids]
    return {"Rules": sorted([*LIFECYCLE["Rules"], *others, *own], key=lambda rule: str(rule["ID"]))}


PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]}

#: ``ask(name, secret)`` returns a value typed at a prompt ("" to leave an optional one unset).
Ask = Callable[[str, bool], str]


@dataclass(frozen=True)
class Change:
    """What bootstrap did to one resource."""

    resource: str
    action: str  # created | updated | unchanged | skipped

    def line(self) -> str:
        return f"{self.action:9} {self.resource}"


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _setting(name: str, current: Callable[[], Any], desired: Any, write: Callable[[], Any]) -> str:
    """Write when the current state differs (or is absent); say what happened."""
    try:
        now = current()
    except Exception as error:  # noqa: BLE001 - any "not configured" answer means absent
        if not any(word in _error_code(error) for word in ("NoSuch", "NotFound", "Missing")):
            raise
        now = None
    if now == desired:
        return "unchanged"
    write()
    return "created" if now is None else "updated"


def _lifecycle_rules(s3: Any, bucket: str) -> list[dict[str, Any]]:
    try:
        rules: list[dict[str, Any]] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except Exception as error:  # noqa: BLE001 - botocore ClientError: none configured yet
        if "NoSuch" not in _error_code(error):
            raise
        return []
    return sorted(rules, key=lambda rule: str(rule.get("ID", "")))


def ensure_bucket(s3: Any, bucket: str, region: str, prefix: str) -> list[Change]:
    """The data bucket in its declared state, with the lifecycle of the stage at ``prefix``."""
    changes = []
    try:
        s3.head_bucket(Bucket=bucket)
        changes.append(Change(f"s3://{bucket}", "unchanged"))
    except Exception as error:  # noqa: BLE001 - botocore ClientError
        if _error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **extra)
        changes.append(Change(f"s3://{bucket}", "created"))
    desired_lifecycle = lifecycle(prefix, _lifecycle_rules(s3, bucket))
    steps = [
        ("public access block", lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"], PUBLIC_ACCESS_BLOCK,
         lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)),
        ("encryption", lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"], ENCRYPTION,
         lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)),
        ("versioning", lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status"), "Enabled",
         lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})),
        ("lifecycle", lambda: {"Rules": _lifecycle_rules(s3, bucket)} if _lifecycle_rules(s3, bucket) else None, desired_lifecycle,
         lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=desired_lifecycle)),
    ]
    for label, current, desired, write in steps:
        changes.append(Change(f"s3://{bucket} {label}", _setting(label, current, desired, write)))
    return changes


def gather_parameters(ssm: Any, path: str, given: Mapping[str, str], ask: Ask) -> tuple[dict[str, str], dict[str, str]]:
    """(stored, wanted): the stage's parameters as stored now, and as they should be."""
    stored: dict[str, str] = {}
    for name in SECRET_PARAMETERS + PLAIN_PARAMETERS:
        try:
            stored[name] = ssm.get_parameter(Name=f"{path}/{name}", WithDecryption=True)["Parameter"]["Value"]
        except Exception as error:  # noqa: BLE001 - botocore ClientError
            if _error_code(error) != "ParameterNotFound":
                raise
    wanted: dict[str, str] = {}
    for name in SECRET_PARAMETERS + PLAIN_PARAMETERS:
        value = (given.get(name) or "").strip() or stored.get(name)
        if value is None and name in GENERATED:
            value = GENERATED[name]()
        if value is None:
            value = ask(name, name in SECRET_PARAMETERS).strip()
        if value:
            wanted[name] = value
    return stored, wanted


def ensure_parameters(ssm: Any, path: str, stored: Mapping[str, str], wanted: Mapping[str, str]) -> list[Change]:
    """Write the parameters whose value is new or changed (never printing a value)."""
    changes = []
    for name in SECRET_PARAMETERS + PLAIN_PARAMETERS:
        full = f"{path}/{name}"
        if name not in wanted:
            changes.append(Change(f"ssm {full}", "skipped"))
        elif stored.get(name) == wanted[name]:
            changes.append(Change(f"ssm {full}", "unchanged"))
        else:
            kind = "SecureString" if name in SECRET_PARAMETERS else "String"
            ssm.put_parameter(Name=full, Value=wanted[name], Type=kind, Overwrite=True)
            changes.append(Change(f"ssm {full}", "created" if name not in stored else "updated"))
    return changes


def ensure_role(iam: Any, role_name: str, policy: dict[str, Any]) -> list[Change]:
    """The function's role: trusts Lambda only, holds exactly ``policy``."""
    try:
        role = iam.get_role(RoleName=role_name)["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        action = "unchanged"
        if trust != LAMBDA_TRUST:
            iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(LAMBDA_TRUST))
            action = "updated"
    except Exception as error:  # noqa: BLE001 - botocore ClientError
        if _error_code(error) != "NoSuchEntity":
            raise
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST), Description="dipwatch function role")
        action = "created"

    def current() -> Any:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=ROLE_POLICY_NAME)["PolicyDocument"]
        return json.loads(document) if isinstance(document, str) else document

    written = _setting("policy", current, policy, lambda: iam.put_role_policy(RoleName=role_name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(policy)))
    return [Change(f"iam role {role_name}", action), Change(f"iam role {role_name} policy {ROLE_POLICY_NAME}", written)]


def ensure_topic(sns: Any, name: str, email: str | None) -> tuple[str, list[Change]]:
    """The alarms' SNS topic (and an e-mail subscription when asked)."""
    existing = [topic["TopicArn"] for page in sns.get_paginator("list_topics").paginate() for topic in page["Topics"]]
    arn = next((topic for topic in existing if topic.rsplit(":", 1)[-1] == name), None)
    changes = [Change(f"sns {name}", "unchanged" if arn else "created")]
    arn = arn or sns.create_topic(Name=name)["TopicArn"]
    if email:
        endpoints = {item["Endpoint"] for item in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]}
        if email not in endpoints:
            sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email)
        changes.append(Change(f"sns {name} subscription {email}", "unchanged" if email in endpoints else "created"))
    return arn, changes


def ensure_alarms(cloudwatch: Any, target: AlarmTarget) -> list[Change]:
    """Every alarm as ``alarm_specs`` declares it."""
    specs = alarm_specs(target)
    current = {
        alarm["AlarmName"]: alarm
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=[spec["AlarmName"] for spec in specs])
        for alarm in page["MetricAlarms"]
    }
    changes = []
    for spec in specs:
        now = current.get(spec["AlarmName"])
        if now is not None and all(now.get(key) == value for key, value in spec.items()):
            changes.append(Change(f"alarm {spec['AlarmName']}", "unchanged"))
            continue
        cloudwatch.put_metric_alarm(**spec)
        changes.append(Change(f"alarm {spec['AlarmName']}", "created" if now is None else "updated"))
    return changes


def provision(stage: str, session: Any, given: Mapping[str, str], ask: Ask, email: str | None = None, validate: Callable[[Mapping[str, str]], None] | None = None) -> list[Change]:
    """Bring the stage's resources to their declared state; return what changed."""
    resources = StageResources.of(stage)
    variables = stage_settings(stage).get("environment_variables")
    service = str(variables.get("POWERTOOLS_SERVICE_NAME", "dipwatch")) if isinstance(variables, dict) else "dipwatch"

    def client(name: str) -> Any:
        return session.client(name, region_name=resources.region)

    ssm = client("ssm")
    stored, wanted = gather_parameters(ssm, resources.ssm_path, given, ask)
    if validate is not None:
        validate(wanted)  # a bad value stops here, before anything is written
    account = client("sts").get_caller_identity()["Account"]
    changes = ensure_bucket(client("s3"), resources.bucket, resources.region, resources.prefix)
    changes += ensure_parameters(ssm, resources.ssm_path, stored, wanted)
    ssm_key = client("kms").describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]
    changes += ensure_role(client("iam"), resources.role_name, render_policy(resources, account, ssm_key))
    topic, topic_changes = ensure_topic(client("sns"), f"{resources.function_name}-alarms", email)
    changes += topic_changes
    target = AlarmTarget(prefix=resources.function_name, function_name=resources.function_name, service=service, topic_arn=topic)
    return changes + ensure_alarms(client("cloudwatch"), target)
