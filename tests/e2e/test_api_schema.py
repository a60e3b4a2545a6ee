"""schemathesis against /api/openapi.json: every documented endpoint answers generated requests,
valid and invalid, without a 5xx, with a status code, content type, headers and body that its
schema allows.

The app under test is the web fixture store (three simulated reports), so generated requests
that name a real day or symbol get real data, and the rest get the documented 400s and 404s.
Hypothesis drives each operation's strategy directly (one test per operation and mode).
"""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.openapi import openapi_document

#: What every response must pass.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
#: Requests per operation and mode; enough to reach every parameter's edges, few enough to keep `make test` quick.
EXAMPLES = 30
_PATHS = openapi_document()["paths"]
VALID, INVALID = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
#: (method, path, mode): invalid requests only where an operation has parameters to get wrong.
CASES = [
    (method.upper(), path, mode)
    for path, methods in _PATHS.items()
    for method, operation in methods.items()
    for mode in ((VALID, INVALID) if operation.get("parameters") else (VALID,))
]


@pytest.fixture(scope="module")
def api_schema(web_app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", web_app)


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{method} {path} {mode.value}" for method, path, mode in CASES])
def test_endpoint_answers_as_documented(api_schema: Any, method: str, path: str, mode: schemathesis.GenerationMode) -> None:
    operation = api_schema[path][method]
    answered: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        answered.append(response.status_code)

    check()
    assert answered, "no request was generated"


def test_the_document_is_openapi_3_1_and_covers_every_api_route(web_app: Any) -> None:
    document = web_app.test_client().get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    routed = {
        rule.rule.replace("<", "{").replace(">", "}")
        for rule in web_app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule != "/api/docs"
    }
    assert routed <= set(document["paths"]), routed - set(document["paths"])
