"""Flask CLI commands: ``flask --app app collect|backfill|bot|telegram``. Thin: parse, call, print."""
from __future__ import annotations

import functools
from datetime import date
from typing import Any, Callable, TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from telegram.error import TelegramError

from app import container_of
from shared.bootstrap import Container, bootstrap
from shared.bot.operations import caller, reply_to
from shared.errors import ConfigError, DipwatchError, NothingCollected, SettingError
from shared.redaction import redact
from shared.telemetry import logger

T = TypeVar("T")
#: The command-line flags that stand for a setting, named in their error messages.
_FLAGS = {"DIPWATCH_MARKET_DATA": "--source", "DIPWATCH_UNIVERSE": "--universe"}


def _wired() -> Container:
    return container_of(current_app)


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def _configured(source: str | None, universe: str | None) -> Container:
    """The app's container, rebuilt with the command's --source/--universe overrides."""
    container = _wired()
    changes = {name: value for name, value in (("market_data", source), ("universe_path", universe)) if value}
    if not changes:
        return container
    try:
        settings = container.settings.with_overrides(**changes)
        same_store = settings.storage == container.settings.storage  # else the source's own store
        return bootstrap(settings, store=container.store if same_store else None, clock=container.clock)
    except SettingError as error:
        raise click.UsageError(f"{_FLAGS.get(error.variable, error.variable)} {error.problem}") from None
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


_SOURCE_HELP = "Market data: sim, alpaca or csv:PATH (default: DIPWATCH_MARKET_DATA). Without DIPWATCH_STORAGE each source has its own store, ./var/data/<source>."
_UNIVERSE_HELP = "CSV with a symbol column (default: DIPWATCH_UNIVERSE or the Russell 1000)."


def _summary(container: Container, line: str) -> str:
    """The run's summary line, ending with the store it wrote to (each source has its own)."""
    return f"{line} · store {container.store.location}"


def _ended(command: str, line: str, failed: bool) -> None:
    """End a command: its one summary line on stdout and one JSON log line, then its exit code."""
    line = redact(line)
    click.echo(line)
    if failed:
        logger.error(f"{command} failed", extra={"summary": line})
        raise SystemExit(1)
    logger.info(f"{command} finished", extra={"summary": line})


def _failure(command: str, error: Exception) -> str:
    """The summary line of a command that raised: ours say what happened, anything else is logged."""
    if isinstance(error, NothingCollected):
        return f"{command}: nothing collected: {error}"
    if not isinstance(error, DipwatchError):
        logger.exception(f"{command} failed unexpectedly")
        return f"{command}: failed: {type(error).__name__}: {error}"
    return f"{command}: failed: {error}"


@click.command("collect")
@with_appcontext
@click.option("--as-of", "as_of", callback=_day, help="Trading day to report on (YYYY-MM-DD, a completed session); default: the last completed session.")
@click.option("--source", help=_SOURCE_HELP)
@click.option("--universe", type=click.Path(dir_okay=False), help=_UNIVERSE_HELP)
def collect_command(as_of: date | None, source: str | None, universe: str | None) -> None:
    """Run the daily collection and print one summary line."""
    container = _configured(source, universe)
    logger.append_keys(command="collect")
    try:
        summary = container.collection.collect(as_of)
    except Exception as error:  # noqa: BLE001 - every failure ends with its summary line and log line
        _notify(container)
        _ended("collect", _failure("collect", error), failed=True)
        return
    _notify(container)
    _ended("collect", _summary(container, summary.line()), failed=False)


def _notify(container: Container) -> None:
    """Tell subscribers about the run; a failure to do so is logged, never the command's end."""
    try:
        container.notifier.after_latest_run()
    except Exception:  # noqa: BLE001 - notifications are optional to the collection
        logger.exception("could not notify subscribers")


@click.command("backfill")
@with_appcontext
@click.option("--start", callback=_day, help="First day (YYYY-MM-DD, 1990 or later).")
@click.option("--end", callback=_day, help="Last day (YYYY-MM-DD, a completed session); default: the last completed session.")
@click.option("--days", type=click.IntRange(1, 3650), help="Instead of --start: this many calendar days back from --end.")
@click.option("--source", help=_SOURCE_HELP)
@click.option("--universe", type=click.Path(dir_okay=False), help=_UNIVERSE_HELP)
def backfill_command(start: date | None, end: date | None, days: int | None, source: str | None, universe: str | None) -> None:
    """Fill stored bar history for the whole universe over a range of days."""
    if (start is None) == (days is None):
        raise click.UsageError("give either --start (with optional --end) or --days")
    container = _configured(source, universe)
    logger.append_keys(command="backfill")
    try:
        summary = container.collection.backfill(start=start, end=end, days=days)
    except Exception as error:  # noqa: BLE001 - every failure ends with its summary line and log line
        _ended("backfill", _failure("backfill", error), failed=True)
        return
    _ended("backfill", _summary(container, summary.line()), failed=summary.outcome == "failed")


@click.group("store")
def store_group() -> None:
    """Check the store."""


@store_group.command("check")
@with_appcontext
@click.option("--repair", is_flag=True, help="Quarantine corrupt and future objects, fetch or rebuild them, repair latest.json, remove stale temporary files.")
def store_check_command(repair: bool) -> None:
    """Verify every stored object (seals, structure, manifests, days, latest.json) and print what was found."""
    container = _wired()
    logger.append_keys(command="store check")
    try:
        found = container.store_audit.check(repair=repair)
    except Exception as error:  # noqa: BLE001 - every failure ends with its summary line and log line
        _ended("store check", _failure("store check", error), failed=True)
        return
    *details, line = found.lines(container.store.location)
    for detail in details:
        click.echo(detail)
    _ended("store check", line, failed=found.problems > 0)


@click.command("bot")
@with_appcontext
@click.argument("text")
@click.option("--user", "user_id", type=int, default=None, help="Answer as this Telegram user id would be answered.")
@click.option(
    "--as",
    "role",
    type=click.Choice(["owner", "stranger", "anonymous"]),
    default=None,
    help="Answer as the owner (the default: every command), a stranger (a user not allowed), or an anonymous sender.",
)
@click.option("--source", help="Read the store of this source (sim, alpaca or csv:PATH), as collect --source wrote it.")
def bot_command(text: str, user_id: int | None, role: str | None, source: str | None) -> None:
    """Print the bot's reply to TEXT, with no Telegram involved. You are the owner unless told otherwise."""
    if user_id is not None and role is not None:
        raise click.UsageError("give either --user ID or --as, not both")
    container = _configured(source, None)
    who = caller("user", container.settings.telegram_allowed_users, user_id) if user_id is not None else caller(role or "owner", container.settings.telegram_allowed_users)
    click.echo(reply_to(container.commands, text, who))


@click.group("telegram")
def telegram_group() -> None:
    """Operate the Telegram bot."""


@telegram_group.command("set-webhook")
@with_appcontext
@click.argument("url")
def set_webhook_command(url: str) -> None:
    """Point Telegram at URL (https://.../telegram/webhook) with the secret header."""
    info = _telegram(lambda: _wired().operations.set_webhook(url))
    click.echo(f"webhook set: {info.get('url')} · allowed updates: {', '.join(info.get('allowed_updates') or [])}")
    owners = len(_wired().settings.telegram_allowed_users)
    click.echo(f"command menus set: everyone, and {owners} owner chat(s) with every command")


@telegram_group.command("info")
@with_appcontext
def info_command() -> None:
    """Show the webhook's state as Telegram reports it."""
    info = _telegram(lambda: _wired().operations.webhook_info())
    for key in ("url", "pending_update_count", "last_error_date", "last_error_message", "max_connections", "allowed_updates", "ip_address"):
        if key in info:
            click.echo(f"{key}: {info[key]}")


@telegram_group.command("poll")
@with_appcontext
def poll_command() -> None:
    """Run the bot with long polling (local use; removes the webhook). Ctrl-C stops it."""
    click.echo("polling Telegram for updates; Ctrl-C to stop")
    try:
        handled: int | None = _telegram(lambda: _wired().operations.poll())
    except KeyboardInterrupt:
        handled = None
    click.echo("stopped" if handled is None else f"handled {handled} update(s)")


def _telegram(action: Callable[[], T]) -> T:
    """Run a Telegram operation; configuration errors and Telegram's refusals become CLI errors."""
    try:
        return action()
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    except TelegramError as error:
        raise click.ClickException(f"Telegram refused: {error} (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL)") from None


#: The callbacks ``_redacting`` made, so a command registered twice is wrapped once.
_REDACTING: set[Callable[..., Any]] = set()


def _redacting(name: str, callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback`` whose error output names no secret: a click error's message is masked, and
    any other exception is logged once (masked, with its traceback) and ends as one masked line."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except click.UsageError as error:
            raise click.UsageError(redact(error.message), error.ctx) from None
        except click.ClickException as error:
            raise click.ClickException(redact(error.message)) from None
        except Exception as error:  # noqa: BLE001 - the CLI's edge: a raw traceback could hold a token
            logger.exception(f"{name} failed")
            raise click.ClickException(redact(f"{name} failed: {type(error).__name__}: {error}")) from None

    _REDACTING.add(run)
    return run


def _guarded(command: click.Command, name: str = "") -> click.Command:
    """Wrap ``command`` (and a group's subcommands) with ``_redacting``."""
    name = f"{name} {command.name}".strip()
    if command.callback is not None and command.callback not in _REDACTING:
        command.callback = _redacting(name, command.callback)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _guarded(sub, name)
    return command


def init_app(app: Flask) -> None:
    """Register the CLI commands, each with its error output masked (``shared.redaction``)."""
    from app.ops import ops_group

    for command in (collect_command, backfill_command, bot_command, telegram_group, store_group, ops_group):
        app.cli.add_command(_guarded(command))
