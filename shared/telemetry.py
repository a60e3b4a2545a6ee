"""Structured JSON logs and CloudWatch metrics through Powertools for AWS Lambda.

Logs go to stderr so that CLI output on stdout stays clean; Lambda sends both to CloudWatch.
Secrets are never logged: Settings hides them from its repr, and nothing logs a token.
"""
from __future__ import annotations

import logging
import sys

from aws_lambda_powertools import Logger, Metrics

from shared.config import service_name

#: ``dipwatch-prod`` or ``dipwatch-dev`` on Lambda (each stage's alarms watch its own), else ``dipwatch``.
SERVICE = service_name()
NAMESPACE = "dipwatch"

logger = Logger(service=SERVICE, logger_handler=logging.StreamHandler(sys.stderr))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

for _noisy in ("httpx", "httpcore", "botocore", "boto3", "urllib3", "s3transfer", "telegram"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)
