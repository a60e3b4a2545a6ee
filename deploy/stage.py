"""A deployment stage's AWS resources, read from ``zappa_settings.json``, and its one IAM policy.

``deploy/lambda-policy.json`` is the only policy document: the function's role carries exactly
this, rendered for the stage (its bucket prefix, its SSM path, its log group), and the offline
proof gives a moto user exactly the same.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlparse

from deploy.lambda_target import SETTINGS, stage_settings

POLICY = Path(__file__).with_name("lambda-policy.json")


@dataclass(frozen=True)
class StageResources:
    """What one stage owns in AWS."""

    stage: str
    function_name: str  # Zappa's: <project_name>-<stage>
    region: str
    role_name: str
    bucket: str
    prefix: str  # the stage's key prefix in the bucket, without slashes
    ssm_path: str  # /dipwatch/prod

    @classmethod
    def of(cls, stage: str, path: Path = SETTINGS) -> "StageResources":
        """The stage's resources as ``zappa_settings.json`` declares them."""
        settings = stage_settings(stage, path)
        env: dict[str, str] = settings.get("environment_variables", {})  # type: ignore[assignment]
        storage = urlparse(env.get("DIPWATCH_STORAGE", ""))
        ssm_path = env.get("DIPWATCH_SSM_PREFIX", "").rstrip("/")
        if storage.scheme != "s3" or not storage.netloc or not storage.path.strip("/"):
            raise SystemExit(f"zappa_settings.json: stage {stage!r} needs DIPWATCH_STORAGE=s3://bucket/prefix")
        if not ssm_path.startswith("/"):
            raise SystemExit(f"zappa_settings.json: stage {stage!r} needs DIPWATCH_SSM_PREFIX=/path")
        if not settings.get("role_name"):
            raise SystemExit(f"zappa_settings.json: stage {stage!r} needs role_name (the role `flask ops bootstrap` creates)")
        return cls(
            stage=stage,
            function_name=f"{settings['project_name']}-{stage}",
            region=str(settings.get("aws_region", "us-east-1")),
            role_name=str(settings["role_name"]),
            bucket=storage.netloc,
            prefix=storage.path.strip("/"),
            ssm_path=ssm_path,
        )


def render_policy(resources: StageResources, account: str, kms_key_arn: str) -> dict[str, Any]:
    """The stage's policy document: ``deploy/lambda-policy.json`` with its placeholders filled."""
    text = Template(POLICY.read_text()).substitute(
        bucket=resources.bucket,
        prefix=resources.prefix,
        region=resources.region,
        account=account,
        ssm_path=resources.ssm_path,
        kms_key_arn=kms_key_arn,
        function_name=resources.function_name,
    )
    document: dict[str, Any] = json.loads(text)
    return document
