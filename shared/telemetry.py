"""Structured JSON logs and CloudWatch metrics through Powertools for AWS Lambda.

Logs go to stderr so that CLI output on stdout stays clean; Lambda sends both to CloudWatch.
Secrets are never logged: Settings hides them from its repr and registers them with
``shared.redaction``, whose one filter sits on every log handler (this logger's, the root
logger's and the libraries'), so a token inside an exception message is masked too.
"""
from __future__ import annotations

import logging
import sys

from aws_lambda_powertools import Logger, Metrics

from shared import redaction
from shared.config import service_name

#: ``dipwatch-prod`` or ``dipwatch-dev`` on Lambda (each stage's alarms watch its own), else ``dipwatch``.
SERVICE = service_name()
NAMESPACE = "dipwatch"

logger = Logger(service=SERVICE, logger_handler=logging.StreamHandler(sys.stderr))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

for _noisy in ("httpx", "httpcore", "botocore", "boto3", "urllib3", "s3transfer", "telegram"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

redaction.install(logging.getLogger(logger.name))
