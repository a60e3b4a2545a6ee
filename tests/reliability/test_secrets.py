"""No secret in any output: the redaction filter, the CLI's errors, the job's traceback, and a
Telegram that refuses the token (401) or sits at a wrong ``TELEGRAM_API_URL`` (404)."""
from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from app import create_app, jobs
from shared.bootstrap import bootstrap
from shared.config import Settings
from shared.redaction import MASK, REDACTING_FILTER, install, known_secrets, redact, register_secrets
from tests.conftest import fixed_clock
from tests.fakes import LambdaContext
from tests.lambda_runtime import scheduled_event
from tests.reliability.bot_fixtures import log_lines
from tests.reliability.figures import record

TOKEN = "987654321:AAHfake-Token_value_0123456789abcdefghij"
SECRETS = {
    "telegram_bot_token": TOKEN,
    "alpaca_key_id": "PKTESTKEYID0123456789",
    "alpaca_secret_key": "alpaca-secret-0123456789abcdefghij",
    "telegram_webhook_secret": "webhook-secret-0123456789",
    "secret_key": "link-signing-key-0123456789",
    "api_token": "api-token-0123456789abcdef",
}


@pytest.fixture
def secret_settings(settings: Settings, refusing_telegram: Any) -> Settings:
    """Every secret set, Telegram at the refusing server, and an admin chat and a subscriber to tell."""
    return settings.with_overrides(telegram_api_url=refusing_telegram.url, telegram_admin_chat=5, **SECRETS)


def _leaked(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text]


def test_every_configured_secret_is_registered_and_masked(secret_settings: Settings) -> None:
    line = " ".join(SECRETS.values())
    assert set(SECRETS.values()) <= set(known_secrets())
    assert _leaked(redact(line)) == [] and redact(line).count(MASK) == len(SECRETS)


@pytest.mark.parametrize(
    "text",
    [
        "POST https://api.telegram.org/bot123456:ABC-def_ghi/sendMessage failed",
        "url=https://example.test/bot42:x/getMe",
        "token 1234567890:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA in a message",
    ],
)
def test_bot_tokens_in_urls_are_masked_even_when_not_configured(text: str) -> None:
    masked = redact(text)
    assert MASK in masked
    assert not any(part in masked for part in ("123456:ABC", "42:x", "1234567890:AAAA"))


def test_text_that_merely_looks_like_a_bot_url_is_kept() -> None:
    assert redact("the robot12:30 run; about 1234:5678") == "the robot12:30 run; about 1234:5678"
    assert redact("https://api.telegram.org/bot123:abc/getMe") == f"https://api.telegram.org/bot{MASK}/getMe"


def test_a_url_quoted_secret_is_masked() -> None:
    register_secrets("needs/quoting:0123456789")
    assert redact("GET /x?token=needs%2Fquoting%3A0123456789") == f"GET /x?token={MASK}"


def test_short_values_are_not_secrets_worth_masking() -> None:
    register_secrets("key")
    assert redact("the key is here") == "the key is here"


def test_the_filter_masks_message_arguments_extras_and_tracebacks(secret_settings: Settings) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(detail)s"))
    library = logging.getLogger("botocore.test-secrets")
    library.addHandler(handler)
    install(library)
    try:
        raise RuntimeError(f"refused {TOKEN}")
    except RuntimeError:
        library.error("call %s failed", f"https://x/bot{TOKEN}/getMe", exc_info=True, extra={"detail": {"url": SECRETS["api_token"]}})
    finally:
        library.removeHandler(handler)
    assert REDACTING_FILTER in handler.filters
    output = stream.getvalue()
    assert "RuntimeError: refused" in output and _leaked(output) == []


def test_telegram_info_names_no_token_when_telegram_answers_404_or_401(secret_settings: Settings, refusing_telegram: Any) -> None:
    runner = create_app(container=bootstrap(secret_settings, clock=fixed_clock)).test_cli_runner()
    for status in (404, 401):
        refusing_telegram.status = status
        result = runner.invoke(args=["telegram", "info"])
        assert result.exit_code == 1
        assert "Telegram refused" in result.output and MASK in result.output, result.output
        assert _leaked(result.output) == []
    assert any(TOKEN in path for path in refusing_telegram.paths)  # the token was really sent


def test_collect_logs_no_token_when_telegram_refuses(secret_settings: Settings, refusing_telegram: Any, json_logs: io.StringIO) -> None:
    container = bootstrap(secret_settings, clock=fixed_clock)
    container.bot_state.subscribe(5, "2026-11-01")
    runner = create_app(container=container).test_cli_runner()
    for status in (404, 401):
        refusing_telegram.status = status
        result = runner.invoke(args=["collect"])
        assert result.exit_code == 0, result.output
        assert _leaked(result.output) == []
    container.close()
    lines = log_lines(json_logs)
    failures = [line for line in lines if line["message"] == "telegram notifications failed"]
    assert len(failures) == 2 and all(MASK in line["exception"] for line in failures)
    assert _leaked(json_logs.getvalue()) == []
    record("secret cases: telegram 401/404 through telegram info and collect", "0 secrets found")


def test_the_job_logs_and_raises_no_token(settings: Settings, monkeypatch: pytest.MonkeyPatch, json_logs: io.StringIO) -> None:
    def broken() -> Any:
        raise RuntimeError(f"Invalid token {TOKEN} at https://api.telegram.org/bot{TOKEN}/getMe")

    register_secrets(TOKEN)
    monkeypatch.setattr(jobs, "bootstrap", broken)
    with pytest.raises(jobs.JobFailed) as raised:
        jobs.collect_daily(scheduled_event("2026-07-15T10:00:00Z"), LambdaContext())
    assert TOKEN not in str(raised.value) and MASK in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    failed = [line for line in log_lines(json_logs) if line["message"] == "collect_daily failed"]
    assert len(failed) == 1 and MASK in failed[0]["exception"] and TOKEN not in json_logs.getvalue()


def test_an_unexpected_cli_error_is_one_masked_line(secret_settings: Settings, monkeypatch: pytest.MonkeyPatch, json_logs: io.StringIO) -> None:
    container = bootstrap(secret_settings, clock=fixed_clock)

    def broken(_as_of: Any = None) -> Any:
        raise OSError(f"cannot reach https://api.telegram.org/bot{TOKEN}/x with key {SECRETS['alpaca_secret_key']}")

    monkeypatch.setattr(container.collection, "collect", broken)
    result = create_app(container=container).test_cli_runner().invoke(args=["collect"])
    assert result.exit_code == 1 and "collect: failed: OSError" in result.output  # the summary line every command ends with
    assert _leaked(result.output + json_logs.getvalue()) == []
    assert "Traceback" not in result.output


def test_the_secret_guard_plugin_is_active_in_this_session(pytestconfig: pytest.Config) -> None:
    """The plugin that fails any test printing a secret is registered for every suite."""
    from tests import secret_guard

    register_secrets(SECRETS["secret_key"])
    assert pytestconfig.pluginmanager.is_registered(sys.modules["tests.secret_guard"])
    assert secret_guard.leaks([f"x {SECRETS['secret_key']} y"]) and not secret_guard.leaks([redact(SECRETS["secret_key"])])
    assert Path(secret_guard.__file__).name == "secret_guard.py"
