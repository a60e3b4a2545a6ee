"""Run the built Lambda package as Lambda would: unzipped, its own handler, a bare interpreter.

The interpreter is the runtime's Python version (the one that built the package), started with
``-I -S -B``: no site-packages, no user site, no environment-driven paths, no bytecode writes
(``/var/task`` is read-only on Lambda). Only the unzipped package is on ``sys.path``.
"""
from __future__ import annotations

import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_VENV = ROOT / ".venv-deploy"
REGION = "us-east-1"
ACCOUNT = "123456789012"

#: Runs in the bare interpreter: one container, the events in order, one result line.
INVOKE = r"""
import json, sys
sys.path.insert(0, ".")
from handler import lambda_handler

class Context:
    function_name = "dipwatch-prod"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:dipwatch-prod"
    log_group_name = "/aws/lambda/dipwatch-prod"
    log_stream_name = "2026/01/01/[$LATEST]0123456789abcdef"
    def __init__(self, request_id):
        self.aws_request_id = request_id
    def get_remaining_time_in_millis(self):
        return 300000

results = []
for number, event in enumerate(json.load(sys.stdin)):
    try:
        results.append(lambda_handler(event, Context(f"req-{number:04d}-0000-0000-0000-000000000000")))
    except Exception as error:  # Lambda reports the invocation as failed; the next one goes on
        results.append({"invocation_error": type(error).__name__})
print("RESULTS=" + json.dumps(results, default=str))
print("MODULES=" + json.dumps(sorted(name for name in sys.modules if "." not in name or name.startswith(("app.", "shared.")))))
"""


def runtime_python() -> str:
    """The interpreter that built the package (the deploy virtualenv's base Python)."""
    config = dict(
        line.split(" = ", 1) for line in (DEPLOY_VENV / "pyvenv.cfg").read_text().splitlines() if " = " in line
    )
    if "executable" in config:
        return config["executable"]
    return str(Path(config["home"]) / f"python{config['version'].rsplit('.', 1)[0]}")


def unzip(package: Path, target: Path) -> Path:
    """The package unzipped into ``target``, read-only like ``/var/task``."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(target)
    for path in target.rglob("*"):
        path.chmod(0o555 if path.is_dir() or path.suffix in ("", ".so") else 0o444)
    target.chmod(0o555)
    return target


@dataclass
class Invocation:
    """What one container run returned and printed."""

    results: list[Any]
    stdout: str
    stderr: str
    modules: list[str]  # top-level modules loaded by the end, plus the project's own


def invoke(task_root: Path, events: list[dict[str, Any]], env: dict[str, str], timeout: float = 600) -> Invocation:
    """Run ``events`` through the package's ``handler.lambda_handler`` in one fresh process."""
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": "dipwatch-prod",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "LAMBDA_TASK_ROOT": str(task_root),
    }
    completed = subprocess.run(
        [runtime_python(), "-I", "-S", "-B", "-c", INVOKE],
        cwd=task_root,
        env={**base, **env},
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    lines = completed.stdout.splitlines()
    results = next(line for line in lines if line.startswith("RESULTS=")).removeprefix("RESULTS=")
    modules = next(line for line in lines if line.startswith("MODULES=")).removeprefix("MODULES=")
    return Invocation(json.loads(results), completed.stdout, completed.stderr, json.loads(modules))


def api_event(path: str, method: str = "GET", body: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway (REST, v1) proxy event for the ``prod`` stage."""
    all_headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-Proto": "https", **(headers or {})}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {key: [value] for key, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest"},
            "requestId": "apigw-request-1",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def webhook_event(text: str, secret: str, user_id: int, update_id: int) -> dict[str, Any]:
    """Telegram's POST of one message update to the webhook, with ``secret`` in its header."""
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1767261600,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Owner"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    return api_event("/telegram/webhook", "POST", json.dumps(update), headers)


def scheduled_event(time: str, rule: str = "dipwatch-prod-app.jobs.collect_daily") -> dict[str, Any]:
    """EventBridge's scheduled event for ``rule`` at ``time`` (ISO, UTC)."""
    return {
        "version": "0",
        "id": f"event-{time}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }
