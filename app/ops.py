"""``flask --app app ops bootstrap --stage prod``: set up a stage's AWS resources, idempotently.

Thin: it gathers the parameter values (environment, else prompts), validates them as Settings
would, and calls ``deploy.provisioning.provision``. Values are never printed.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import click

from shared.config import SECRET_NAMES, SSM_SETTING_NAMES, Settings
from shared.errors import ConfigError

#: Parameters a stage cannot run without: prompted for when neither set nor stored.
REQUIRED = ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "TELEGRAM_BOT_TOKEN")


def _ask(name: str, secret: bool) -> str:
    """Prompt for one value; optional ones may be left empty."""
    if name in REQUIRED:
        return str(click.prompt(name, hide_input=secret))
    return str(click.prompt(f"{name} (empty to leave unset)", hide_input=secret, default="", show_default=False))


def _validate(values: Mapping[str, str]) -> None:
    """Check the values as the function will read them; a bad one stops the set-up."""
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise click.UsageError(f"set {', '.join(missing)} (environment or prompt)")
    try:
        Settings.from_env({**values, "DIPWATCH_MARKET_DATA": "alpaca"})
    except ConfigError as error:
        raise click.UsageError(str(error)) from None


@click.group("ops")
def ops_group() -> None:
    """Operate the AWS deployment."""


def _parameter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One hidden option per parameter, read from the environment variable of the same name only
    (a secret on the command line would land in the shell's history)."""
    for name in SECRET_NAMES + SSM_SETTING_NAMES:
        command = click.option(f"--{name.lower()}", name.lower(), envvar=name, default=None, hidden=True, expose_value=True)(command)
    return command


@ops_group.command("bootstrap")
@_parameter_options
@click.option("--stage", default="prod", show_default=True, help="A stage of zappa_settings.json.")
@click.option("--alarm-email", default=None, help="Subscribe this address to the alarms' SNS topic.")
def bootstrap_command(stage: str, alarm_email: str | None, **parameters: str | None) -> None:
    """Create or update the stage's bucket, SSM parameters, role and policy, SNS topic and alarms.

    Parameter values come from environment variables of the same name (APCA_API_KEY_ID,
    APCA_API_SECRET_KEY, TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, DIPWATCH_SECRET_KEY,
    TELEGRAM_ALLOWED_USERS, TELEGRAM_ADMIN_CHAT), else what is stored, else a prompt; the
    webhook secret and the link-signing key are generated when absent.
    """
    import boto3

    from deploy.provisioning import provision

    given = {name.upper(): value for name, value in parameters.items() if value}
    changes = provision(stage, boto3.Session(), given, _ask, email=alarm_email, validate=_validate)
    for change in changes:
        click.echo(change.line())
    done = sum(change.action in ("created", "updated") for change in changes)
    click.echo(f"ops bootstrap {stage}: {done} change(s), {len(changes) - done} already in place")
