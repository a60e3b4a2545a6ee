"""moto's server with IAM enforcement, as a separate process, knowing SSM's resources.

moto checks every SSM call against the resource ``*``, so a policy scoped to a parameter path
would refuse them all. AWS evaluates GetParameter(s) and PutParameter against the parameter's
ARN and GetParametersByPath against the path's ARN; this server does the same, then runs moto's
own server. Enforcement starts once the set-up is done, through moto's ``/moto-api/reset-auth``.

    python -m tests.emulators.moto_iam PORT
"""
from __future__ import annotations

import sys
from typing import Any

from moto.server import main as moto_server
from moto.ssm.responses import SimpleSystemManagerResponse


def _parameter_arn(self: Any) -> str:
    """The ARN IAM evaluates for this SSM call."""
    action = self._get_action()
    name = self._get_param("Path") if action == "GetParametersByPath" else self._get_param("Name")
    if name is None:
        names = self._get_param("Names") or []
        name = names[0] if names else None
    if not name:
        return "*"
    return f"arn:aws:ssm:{self.region}:{self.current_account}:parameter{name if name.startswith('/') else '/' + name}"


SimpleSystemManagerResponse._determine_resource = _parameter_arn  # type: ignore[attr-defined]

if __name__ == "__main__":
    moto_server(["--host", "127.0.0.1", "--port", sys.argv[1]])
