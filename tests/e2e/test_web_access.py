"""DIPWATCH_API_TOKEN: the pages and the API need it (a Bearer header, or the sign-in cookie);
liveness, signed downloads and the webhook stay open; account data never reaches the web."""
from __future__ import annotations

import re
from typing import Any

import pytest

from app import container_of, create_app
from shared.bootstrap import bootstrap
from tests.conftest import AS_OF, FIXED_NOW, fixed_clock
from tests.fakes import FakeBroker

TOKEN = "a-long-access-token-for-tests"
POSITION = {
    "symbol": "KO",
    "qty": 137.0,
    "side": "long",
    "avg_entry_price": 61.4321,
    "current_price": 70.1,
    "market_value": 9603.7,
    "cost_basis": 8416.2,
    "unrealized_pl": 1187.5,
    "unrealized_plpc": 0.1411,
}


@pytest.fixture
def guarded(settings: Any) -> Any:
    """An app with a token and a trading account whose positions are snapshotted by the run."""
    container = bootstrap(settings.with_overrides(api_token=TOKEN), clock=fixed_clock, broker=FakeBroker(positions=[POSITION]))
    container.collection.collect()
    assert container.store.exists(f"positions/{AS_OF}.csv")
    app = create_app(container=container)
    app.config.update(TESTING=True)
    return app


def test_api_needs_the_token(guarded: Any) -> None:
    client = guarded.test_client()
    refused = client.get("/api/status")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in refused.get_json()["error"]["message"]
    assert client.get("/api/status", headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
    allowed = client.get("/api/status", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert allowed.headers["Cache-Control"].startswith("private") and "Authorization" in allowed.headers["Vary"]


def test_pages_send_to_the_sign_in_form_and_the_cookie_lets_in(guarded: Any) -> None:
    client = guarded.test_client()
    first = client.get("/runs?limit=5")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login?next=/runs")
    wrong = client.post("/login", data={"token": "nope", "next": "/runs"})
    assert wrong.status_code == 401 and "not the access token" in wrong.get_data(as_text=True)
    right = client.post("/login", data={"token": TOKEN, "next": "/runs?limit=5"})
    assert right.status_code == 302 and right.headers["Location"] == "/runs?limit=5"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and TOKEN not in cookie
    assert client.get("/").status_code == 200
    assert client.get("/api/reports/latest?limit=1").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(guarded: Any, target: str) -> None:
    response = guarded.test_client().post("/login", data={"token": TOKEN, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_open_endpoints_stay_open(guarded: Any) -> None:
    client = guarded.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/static/dipwatch.css").status_code == 200
    link = client.get("/api/reports/latest/download", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()["url"]
    assert client.get(link.split("localhost", 1)[1]).status_code == 200  # the signed link is the credential
    assert client.post("/telegram/webhook", json={}).status_code == 403  # its own secret, not the token


def test_without_a_token_everything_is_open(client: Any, container: Any) -> None:
    container.collection.collect()
    assert client.get("/").status_code == 200 and client.get("/api/status").status_code == 200
    assert client.get("/login").status_code == 302


def test_account_and_positions_never_appear_on_the_web(guarded: Any) -> None:
    client = guarded.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bodies = []
    for rule in guarded.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.arguments - {"symbol", "day"}:
            continue
        path = rule.rule.replace("<symbol>", "KO").replace("<day>", "latest")
        response = client.get(path, headers=headers)
        assert response.status_code < 500, path
        bodies.append(response.get_data(as_text=True))
    text = "\n".join(bodies)
    for secret in ("61.4321", "avg_entry_price", "unrealized", "positions/"):
        assert secret not in text
    from shared.adapters.links import LinkSigner

    signer = LinkSigner(container_of(guarded).settings.secret_key, now=FIXED_NOW.timestamp)
    forged = signer.sign(f"positions/{AS_OF}.csv")
    assert client.get(f"/download/{signer.sign(f'reports/{AS_OF}.csv')}").status_code == 200  # the same signer opens a report
    assert client.get(f"/download/{forged}").status_code == 404


def test_a_short_token_is_refused_at_start_up() -> None:
    from shared.config import Settings
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match="DIPWATCH_API_TOKEN must be at least 16 characters"):
        Settings(api_token="short")
    with pytest.raises(ConfigError, match="DIPWATCH_API_TOKEN must be at least 16 characters"):
        Settings.from_env({"DIPWATCH_API_TOKEN": "short"})
    assert Settings.from_env({"DIPWATCH_API_TOKEN": TOKEN}).api_token == TOKEN
    assert TOKEN not in repr(Settings.from_env({"DIPWATCH_API_TOKEN": TOKEN}))


def test_the_sign_in_page_reads_well(guarded: Any) -> None:
    page = guarded.test_client().get("/login").get_data(as_text=True)
    assert re.search(r'<input type="password" id="token" name="token"', page)


def test_the_token_may_come_from_ssm() -> None:
    from shared.config import Settings

    loaded = Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/prod"}, ssm_loader=lambda prefix: {"DIPWATCH_API_TOKEN": TOKEN})
    assert loaded.api_token == TOKEN
    kept = Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/prod", "DIPWATCH_API_TOKEN": "from-the-environment-0123"}, ssm_loader=lambda prefix: {"DIPWATCH_API_TOKEN": TOKEN})
    assert kept.api_token == "from-the-environment-0123"
