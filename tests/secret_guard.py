"""A pytest plugin that fails any test whose output shows a configured secret.

It reads everything a test printed or logged: pytest's captured stdout, stderr and log records
of each phase, what ``capsys``/``capfd`` handed to the test, and the output of every Click CLI
run (``CliRunner.invoke``). Each value that a ``Settings`` registered as secret
(``shared.redaction.known_secrets``: tokens, keys, the webhook secret, the link-signing key, the
API token) must appear in none of it. ``tests/conftest.py`` registers the plugin, so it runs
across every suite.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from _pytest.capture import CaptureFixture
from click.testing import CliRunner

from shared import redaction

_SEEN = pytest.StashKey[list[str]]()
_FLAGGED = pytest.StashKey[bool]()
_current: list[list[str]] = []


def _record(text: Any) -> None:
    if _current and isinstance(text, str) and text:
        _current[-1].append(text)


def _patch_outputs() -> None:
    """Route the output a test reads itself (capsys, CliRunner) through ``_record`` too."""
    if getattr(CliRunner.invoke, "secret_guard", False):
        return
    invoke, readouterr = CliRunner.invoke, CaptureFixture.readouterr

    def guarded_invoke(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        result = invoke(self, *args, **kwargs)
        _record(result.output)  # stdout and stderr, as a terminal shows them
        return result

    def guarded_readouterr(self: CaptureFixture[Any]) -> Any:
        captured = readouterr(self)
        for part in captured:
            _record(part.decode(errors="replace") if isinstance(part, bytes) else part)
        return captured

    guarded_invoke.secret_guard = True  # type: ignore[attr-defined]
    CliRunner.invoke = guarded_invoke  # type: ignore[method-assign]
    CaptureFixture.readouterr = guarded_readouterr  # type: ignore[method-assign]


def leaks(texts: list[str]) -> list[str]:
    """The registered secrets that occur in ``texts``, masked for the failure message."""
    found = [secret for secret in redaction.known_secrets() if any(secret in text for text in texts)]
    return [f"{secret[:3]}…({len(secret)} chars)" for secret in found]


def pytest_configure(config: pytest.Config) -> None:
    _patch_outputs()


@pytest.fixture(autouse=True)
def _secret_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Put the redaction filter on pytest's own log handlers too (as the app does on every
    handler in production), and collect what the test reads itself."""
    redaction.install()
    seen = request.node.stash.setdefault(_SEEN, [])
    _current.append(seen)
    yield
    _current.remove(seen)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report: pytest.TestReport = yield
    texts = [content for _title, content in report.sections] + item.stash.get(_SEEN, [])
    found = leaks(texts)
    if found and report.outcome != "failed" and not item.stash.get(_FLAGGED, False):
        item.stash[_FLAGGED] = True
        report.outcome = "failed"
        report.longrepr = f"a configured secret appeared in the test's output: {', '.join(found)}"
    return report
