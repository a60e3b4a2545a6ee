"""Secrets from AWS SSM Parameter Store, through Powertools Parameters.

The provider is process-wide on purpose, like Powertools' own ``Logger``: its ``max_age`` cache
must outlive one Lambda invocation, so that a warm container does not read SSM on every call.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from shared.errors import ConfigError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

#: How long SSM values are cached in the process, in seconds.
SSM_CACHE_SECONDS = 300


@lru_cache(maxsize=1)
def ssm_provider() -> SSMProvider:
    """The process's Powertools SSM provider (its cache lives in it), with timeouts on its calls."""
    from aws_lambda_powertools.utilities import parameters
    from botocore.config import Config

    return parameters.SSMProvider(
        boto_config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
    )


def load_ssm_secrets(prefix: str) -> dict[str, str]:
    """Decrypted parameters under ``prefix``, keyed by their last path segment; cached in-process."""
    from aws_lambda_powertools.utilities import parameters

    try:
        values = ssm_provider().get_multiple(prefix, decrypt=True, recursive=False, max_age=SSM_CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigError(f"DIPWATCH_SSM_PREFIX: cannot read SSM parameters under {prefix}: {error}") from error
    return {name.rsplit("/", 1)[-1]: str(value) for name, value in values.items()}
