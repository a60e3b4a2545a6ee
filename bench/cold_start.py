"""Cold start of the Lambda package: the first /healthz and the first webhook /top of a fresh process.

`make package` builds the prod zip; it is unzipped read-only (as ``/var/task``) and each
measurement is a fresh ``python3.12 -I -S -B`` process with only the package on its path, its
handler fed one API Gateway event. S3 and SSM are moto's server over HTTP, holding one
collected report of the whole simulated universe. Printed: the wall time from process start
to the answer, the part spent in the handler call, and the import-time top 10 (``-X importtime``).
Targets: /healthz ≤ 0.8 s, /top ≤ 1.5 s.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"
RUNS = 5

#: In the child: one event through the package's handler; prints the timings as JSON.
_CHILD = r"""
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, ".")
from handler import lambda_handler
class Context:
    function_name = "dipwatch-prod"; memory_limit_in_mb = 1024; aws_request_id = "bench-request"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:dipwatch-prod"
    def get_remaining_time_in_millis(self): return 30000
imported = time.perf_counter()
answer = lambda_handler(json.loads(sys.argv[1]), Context())
done = time.perf_counter()
assert answer["statusCode"] == 200, answer
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("pandas", "telegram", "app", "numpy"))
print(json.dumps({"import": imported - started, "handler": done - imported, "modules": loaded}))
"""


def _events() -> dict[str, dict]:
    from tests.lambda_runtime import api_event, webhook_event

    return {"/healthz": api_event("/healthz"), "/top": webhook_event("/top", SECRET, 4242, update_id=1)}


def _seed(endpoint: str) -> None:
    """A bucket with one collected report, and the stage's parameters."""
    import boto3

    from shared.bootstrap import bootstrap
    from shared.config import Settings

    boto3.client("s3").create_bucket(Bucket="dipwatch-data")
    ssm = boto3.client("ssm")
    for name, value in {"TELEGRAM_BOT_TOKEN": "1:bench", "TELEGRAM_WEBHOOK_SECRET": SECRET, "APCA_API_KEY_ID": "PKBENCH", "APCA_API_SECRET_KEY": "bench"}.items():
        ssm.put_parameter(Name=f"/dipwatch/prod/{name}", Value=value, Type="SecureString")
    ssm.put_parameter(Name="/dipwatch/prod/TELEGRAM_ALLOWED_USERS", Value="4242", Type="String")
    bootstrap(Settings(storage="s3://dipwatch-data/prod", market_data="sim")).collection.collect(date(2026, 11, 27))


def _top_imports(python: str, task: Path, event: dict, env: dict[str, str]) -> list[tuple[float, str]]:
    """The 10 packages (top-level modules, wherever imported) with the largest cumulative import
    time (``-X importtime``), in seconds."""
    child = subprocess.run([python, "-X", "importtime", "-I", "-S", "-B", "-c", _CHILD, json.dumps(event)], cwd=task, env=env, capture_output=True, text=True, timeout=120, check=True)
    totals: dict[str, float] = {}
    for line in child.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if match and "." not in match[3] and not match[3].startswith("_"):
            totals[match[3]] = max(totals.get(match[3], 0.0), int(match[2]) / 1e6)
    return sorted(((seconds, name) for name, seconds in totals.items()), reverse=True)[:10]


def main() -> None:
    """Print, per route, the median and best wall time of RUNS fresh processes, and the import top 10."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log

    from tests.lambda_runtime import runtime_python, unzip

    subprocess.run(["make", "--no-print-directory", "package"], cwd=ROOT, check=True, capture_output=True)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
    os.environ.update(env)
    try:
        _seed(endpoint)
        python = runtime_python()
        child_env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "AWS_LAMBDA_FUNCTION_NAME": "dipwatch-prod", **env}
        with tempfile.TemporaryDirectory() as scratch:
            task = unzip(ROOT / "build" / "dipwatch-prod.zip", Path(scratch) / "task")
            for route, event in _events().items():
                walls, handlers, modules = [], [], []
                for _run in range(RUNS):
                    started = time.perf_counter()
                    child = subprocess.run([python, "-I", "-S", "-B", "-c", _CHILD, json.dumps(event)], cwd=task, env=child_env, capture_output=True, text=True, timeout=120)
                    walls.append(time.perf_counter() - started)
                    if child.returncode != 0:
                        raise SystemExit(f"{route}: {child.stderr[-2000:]}")
                    numbers = json.loads(child.stdout.strip().splitlines()[-1])
                    handlers.append(numbers["handler"])
                    modules = numbers["modules"]
                heavy = sorted({name.split(".")[0] for name in modules} & {"pandas", "numpy", "telegram"})
                print(f"first {route:<9} median {statistics.median(walls):.2f} s, best {min(walls):.2f} s (process start to answer; handler call {statistics.median(handlers):.2f} s) · loads: {', '.join(heavy) or 'no pandas, numpy or telegram'}")
                print(f"  import-time top 10 for {route}: " + ", ".join(f"{name} {seconds:.3f}s" for seconds, name in _top_imports(python, task, event, child_env)))
            for path in task.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            task.chmod(0o755)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
