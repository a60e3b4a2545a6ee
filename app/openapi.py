"""The OpenAPI 3.1 description of dipwatch's HTTP endpoints, served at ``/api/openapi.json``.

Built from the same constants the routes use (sort keys, flags, page sizes), so the document and
the code cannot drift apart; ``tests/e2e/test_api_schema.py`` checks every response against it.
"""
from __future__ import annotations

from typing import Any

from app.params import CLASS_CHOICES, DAY_PATTERN, MAX_PAGE_ROWS, MAX_RUNS
from shared.core.glossary import COLUMNS, FLAG_MEANINGS
from shared.core.report_view import NO_FLAG, SORT_KEYS

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str | list[str], **extra: Any) -> Schema:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {"type": [*kinds, "null"], **extra}


def _json(schema: Schema, description: str, headers: dict[str, Any] | None = None) -> Schema:
    response: Schema = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _error(description: str) -> Schema:
    return _json(_ref("Error"), description)


_CACHE_HEADERS = {
    "ETag": {"description": "A strong validator of the body; send it back in If-None-Match.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Long for a day's immutable report, short for anything that follows `latest`.", "schema": {"type": "string"}},
}
_DAY = {
    "type": "string",
    "pattern": DAY_PATTERN,
    "description": "A trading day as YYYY-MM-DD, or `latest` for the newest report.",
    "examples": ["latest", "2026-11-27"],
}
_DAY_PATH = {"name": "day", "in": "path", "required": True, "schema": _DAY}
_DAY_QUERY = {"name": "day", "in": "query", "required": False, "schema": _DAY, "description": "The report's day; default `latest`."}
_SYMBOL_PATH = {
    "name": "symbol",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 12, "examples": ["AAPL", "BRK.B"]},
    "description": "A ticker of the universe, any case; `BRK-B` and `BRK/B` read as `BRK.B`.",
}
_REPORT_QUERY = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_ROWS}, "description": f"Rows per page; default all, at most {MAX_PAGE_ROWS} (without it, a CSV has every selected row)."},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "Rows to skip; default 0."},
    {"name": "sector", "in": "query", "schema": {"type": "string", "maxLength": 100}, "description": "Only this sector (any case); a sector the report does not have is a 400 that lists those it has."},
    {
        "name": "flag",
        "in": "query",
        "schema": {"type": "string", "maxLength": 60},
        "description": f"Only rows with this data-quality flag (`{NO_FLAG}`: rows without flags). Flags: "
        + ", ".join(f"`{name}`" for name in FLAG_MEANINGS)
        + ".",
    },
    {
        "name": "sort",
        "in": "query",
        "schema": {"type": "string", "enum": list(SORT_KEYS)},
        "description": "Sort key; default `rank`. Ranked rows always come before excluded ones. Natural orders: "
        + ", ".join(f"`{key}` {'descending' if not ascending else 'ascending'}" for key, (_column, ascending) in SORT_KEYS.items())
        + ".",
    },
    {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}, "description": "Override the sort key's natural order."},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}, "description": "`csv` answers the selected rows as a CSV download."},
    {
        "name": "classes",
        "in": "query",
        "schema": {"type": "string", "enum": list(CLASS_CHOICES)},
        "description": "`grouped`: one row per company, its most traded share class (by 20-day dollar volume), the others named in "
        "`other_classes` (UA under UAA); `all`: every symbol. Default `grouped` for JSON, `all` for a CSV (the stored CSV keeps every symbol).",
    },
]


def _row_schema() -> Schema:
    number_like = {"close", "score", "drawdown_vol", "dollar_volume_20d"}
    properties: dict[str, Schema] = {}
    for column, (_label, description) in COLUMNS.items():
        if column in ("rank", "score_rank"):
            kind: Schema = _nullable("integer", minimum=1)
        elif column == "days_since_peak":
            kind = {"type": "integer", "minimum": 0}
        elif column.endswith("_date"):
            kind = _nullable("string", format="date")
        elif column in ("symbol", "name", "sector", "flags", "other_classes"):
            kind = {"type": "string"}
        elif column == "peak_at_window_edge":
            kind = _nullable("boolean")
        elif column.endswith("_pct") or column.endswith("_close") or column in number_like:
            kind = _nullable("number")
        else:
            kind = {}
        properties[column] = {**kind, "description": description}
    return {
        "type": "object",
        "required": ["rank", "symbol", "name", "sector", "close", "peak_close", "peak_date", "drawdown_pct", "days_since_peak", "flags"],
        "properties": properties,
        "additionalProperties": True,
        "description": "One stock's row of a report. Prices are rounded to cents (4 decimals below $1), percentages and ratios to 2 decimals. Columns added later appear too.",
    }


def _schemas() -> dict[str, Schema]:
    count = {"type": "integer", "minimum": 0}
    run_properties: dict[str, Schema] = {
        "run_id": {"type": "string"},
        "kind": {"type": "string", "enum": ["collect", "backfill"]},
        "as_of": {"type": "string", "format": "date"},
        "source": {"type": "string", "description": "simulated, alpaca or csv (a replay)."},
        "outcome": {"type": "string", "enum": ["complete", "partial", "failed"]},
        "started_at": {"type": "string"},
        "finished_at": {"type": "string"},
        "duration_s": {"type": "number"},
        "universe": count,
        "ranked": count,
        "excluded": count,
        "missing": {**count, "description": "How many symbols had no bar on the day."},
        "failed": {**count, "description": "How many symbols failed to download."},
        "unknown": {**count, "description": "How many symbols the source does not know."},
        "missing_symbols": {"type": "array", "items": {"type": "string"}, "description": "The symbols without a bar on the day."},
        "failed_symbols": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Symbol -> why its download failed."},
        "coverage_pct": {"type": "number", "description": "Ranked symbols as a percentage of the universe."},
        "requests": _nullable("integer"),
        "rate_limited": _nullable("integer", description="HTTP 429 answers from the source."),
        "error": {"type": "string"},
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}},
        },
        "Run": {"type": "object", "required": ["run_id", "kind", "as_of", "outcome", "source"], "properties": run_properties, "additionalProperties": True},
        "ReportRow": _row_schema(),
        "Status": {
            "type": "object",
            "required": ["service", "source", "last_run", "latest_report"],
            "properties": {
                "service": {"const": "dipwatch"},
                "source": _nullable("string", description="Where the latest report's data came from."),
                "market_data": {"type": "string", "description": "The configured source for the next run: sim, alpaca or csv."},
                "storage": {"type": "string", "description": "The kind of storage: local or s3 (never a path)."},
                "last_run": {"oneOf": [_ref("Run"), {"type": "null"}]},
                "latest_report": {"oneOf": [{"type": "object", "additionalProperties": True}, {"type": "null"}]},
            },
        },
        "ReportPage": {
            "type": "object",
            "required": ["as_of", "source", "total", "offset", "limit", "count", "sort", "order", "rows"],
            "properties": {
                "as_of": {"type": "string", "format": "date"},
                "source": _nullable("string"),
                "total": {**count, "description": "Rows matching the filters, over all pages."},
                "offset": count,
                "limit": {"type": "integer", "minimum": 1},
                "count": {**count, "description": "Rows on this page."},
                "sort": {"type": "string", "enum": list(SORT_KEYS)},
                "order": {"type": "string", "enum": ["asc", "desc"]},
                "sector": _nullable("string"),
                "flag": _nullable("string"),
                "classes": {"type": "string", "enum": list(CLASS_CHOICES), "description": "Whether share classes are grouped (one row per company) or every symbol is listed."},
                "next": _nullable("string", description="The next page's URL, or null on the last page."),
                "rows": {"type": "array", "items": _ref("ReportRow")},
            },
            "additionalProperties": True,
        },
        "Changes": {
            "type": "object",
            "required": ["as_of", "source"],
            "properties": {
                "as_of": {"type": "string", "format": "date"},
                "previous": _nullable("string", format="date"),
                "source": _nullable("string"),
                "version": {"type": "integer", "description": "2: `deepened` replaces `rank_moves` (documents stored before it have no `version`)."},
                "top_n": {"type": "integer"},
                "deepened_scope": {"type": "integer", "description": "Deepenings are looked for among ranks 1 to this."},
                "entered": {"type": "array", "items": {"type": "string"}, "description": "Symbols that came into the top `top_n`, by rank."},
                "left": {"type": "array", "items": {"type": "string"}, "description": "Symbols that dropped out of the top `top_n`."},
                "deepened": {
                    "type": "array",
                    "description": "The largest falls further below the peak among the top `deepened_scope`, largest first. "
                    "`change_pts` = `drawdown_pct` - `previous_drawdown_pct`, in percentage points (negative: deeper).",
                    "items": {
                        "type": "object",
                        "required": ["symbol", "rank", "drawdown_pct", "previous_drawdown_pct", "change_pts"],
                        "properties": {
                            "symbol": {"type": "string"},
                            "rank": {"type": "integer", "minimum": 1},
                            "previous_rank": _nullable("integer", minimum=1),
                            "drawdown_pct": {"type": "number"},
                            "previous_drawdown_pct": {"type": "number"},
                            "change_pts": {"type": "number", "exclusiveMaximum": 0},
                        },
                    },
                },
                "rank_moves": {"type": "array", "items": {"type": "object"}, "description": "Documents stored before version 2 only: rank moves (a smaller rank is a deeper drawdown)."},
                "new_flags": {"type": "array", "items": {"type": "object"}, "description": "Flags a symbol did not have in the previous report."},
            },
            "additionalProperties": True,
        },
        "Sectors": {
            "type": "object",
            "required": ["as_of", "source", "sectors"],
            "properties": {
                "as_of": {"type": "string", "format": "date"},
                "source": _nullable("string"),
                "sectors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["sector", "count", "median_drawdown_pct", "share_below_20_pct"],
                        "properties": {"sector": {"type": "string"}, "count": count, "median_drawdown_pct": _nullable("number"), "share_below_20_pct": _nullable("number")},
                    },
                },
            },
        },
        "TrackRecord": {
            "type": "object",
            "required": ["source", "caveat", "rows"],
            "properties": {
                "source": _nullable("string"),
                "caveat": {"type": "string", "description": "The survivorship caveat: the universe is today's members."},
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["as_of", "horizon", "horizon_days", "top_return_pct", "universe_median_pct", "excess_pct", "symbols"],
                        "properties": {
                            "as_of": {"type": "string", "format": "date"},
                            "horizon": {"type": "string"},
                            "horizon_days": {"type": "integer"},
                            "top_return_pct": _nullable("number"),
                            "universe_median_pct": _nullable("number"),
                            "excess_pct": _nullable("number"),
                            "symbols": count,
                        },
                    },
                },
            },
        },
        "Stock": {
            "type": "object",
            "required": ["as_of", "source", "row", "closes"],
            "properties": {
                "as_of": {"type": "string", "format": "date"},
                "source": _nullable("string"),
                "row": _ref("ReportRow"),
                "other_classes": {"type": "array", "items": {"type": "string"}, "description": "The company's other share classes in the report, most traded first."},
                "closes": {
                    "type": "array",
                    "items": {"type": "object", "required": ["date", "close"], "properties": {"date": {"type": "string", "format": "date"}, "close": {"type": "number"}}},
                },
            },
        },
        "DownloadLink": {
            "type": "object",
            "required": ["url", "expires_in", "as_of"],
            "properties": {"url": {"type": "string"}, "expires_in": {"type": "integer"}, "as_of": {"type": "string", "format": "date"}},
        },
    }


def _operation(summary: str, responses: dict[str, Schema], *, parameters: list[Schema] | None = None, description: str = "", tag: str = "reports") -> Schema:
    operation: Schema = {"summary": summary, "tags": [tag], "responses": {**responses, "401": _error("DIPWATCH_API_TOKEN is set and the request has no valid token.")}}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    return operation


def _paths() -> dict[str, Schema]:
    bad = _error("A parameter is malformed; the message names it.")
    missing = _error("No such report, day or symbol.")
    return {
        "/api/status": {"get": _operation("The last run and the latest report's summary", {"200": _json(_ref("Status"), "The service's state.")}, tag="runs")},
        "/api/runs": {
            "get": _operation(
                "The newest run manifests, newest first",
                {"200": _json({"type": "object", "required": ["runs"], "properties": {"runs": {"type": "array", "items": _ref("Run")}}}, "Run manifests."), "400": bad},
                parameters=[{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RUNS}, "description": "How many; default 20."}],
                tag="runs",
            )
        },
        "/api/reports": {
            "get": _operation(
                "The days that have a report, oldest first",
                {"200": _json({"type": "object", "required": ["days"], "properties": {"days": {"type": "array", "items": {"type": "string", "format": "date"}}}}, "Report days.")},
            )
        },
        "/api/reports/{day}": {
            "get": _operation(
                "One report's rows: filtered, sorted and paged",
                {
                    "200": {
                        "description": "A page of the report. For `latest`, the pointer's summary fields (`top`, `universe`, `ranked`, `changes`, ...) come too.",
                        "headers": _CACHE_HEADERS,
                        "content": {"application/json": {"schema": _ref("ReportPage")}, "text/csv": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Not modified (If-None-Match matched the ETag)."},
                    "400": bad,
                    "404": missing,
                },
                parameters=[_DAY_PATH, *_REPORT_QUERY],
            )
        },
        "/api/reports/{day}/download": {
            "get": _operation("A time-limited link that downloads the report's CSV", {"200": _json(_ref("DownloadLink"), "The link."), "400": bad, "404": missing}, parameters=[_DAY_PATH])
        },
        "/api/reports/{day}/changes": {
            "get": _operation("What changed against the previous report", {"200": _json(_ref("Changes"), "Entries to and exits from the top N, the largest deepenings among the top 100, and new flags.", _CACHE_HEADERS), "304": {"description": "Not modified."}, "400": bad, "404": missing}, parameters=[_DAY_PATH])
        },
        "/api/sectors": {
            "get": _operation("Per sector: names, median drawdown, share more than 20% down", {"200": _json(_ref("Sectors"), "Sectors, deepest median first.", _CACHE_HEADERS), "304": {"description": "Not modified."}, "400": bad, "404": missing}, parameters=[_DAY_QUERY])
        },
        "/api/track-record": {
            "get": _operation("Past top-10 lists' forward returns against the universe median", {"200": _json(_ref("TrackRecord"), "One row per report day and horizon.")})
        },
        "/api/stocks/{symbol}": {
            "get": _operation(
                "One stock's report row and its closes in the window",
                {"200": _json(_ref("Stock"), "The stock.", _CACHE_HEADERS), "304": {"description": "Not modified."}, "400": bad, "404": missing},
                parameters=[_SYMBOL_PATH, _DAY_QUERY],
                tag="stocks",
            )
        },
        "/api/openapi.json": {"get": _operation("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1.")}, tag="meta")},
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "tags": ["meta"],
                "security": [],
                "responses": {"200": _json({"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}, "The process answers.")},
            }
        },
        "/download/{token}": {
            "get": {
                "summary": "The file behind a signed link (local storage)",
                "tags": ["reports"],
                "security": [],
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 500}}],
                "responses": {
                    "200": {"description": "The CSV, as an attachment.", "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "403": _error("The link is forged or expired."),
                    "404": _error("The linked file no longer exists."),
                },
            }
        },
    }


def openapi_document(version: str = "1") -> Schema:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dipwatch",
            "version": version,
            "summary": "Daily drawdowns from the peak close, ranked, for a stock universe.",
            "description": (
                "Read-only JSON over the stored reports and runs. Every data reply says where its data came from (`source`: "
                "`simulated`, `alpaca` or `csv` for a replay). Errors have one shape, `{\"error\": {\"status\", \"message\"}}`: "
                "400 names the parameter, 404 means no such day or symbol. When `DIPWATCH_API_TOKEN` is set, send it as "
                "`Authorization: Bearer TOKEN` (or sign in on the web for a cookie)."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "reports", "description": "Reports, sectors, what changed, track record, downloads."},
            {"name": "stocks", "description": "One stock."},
            {"name": "runs", "description": "Collections and backfills."},
            {"name": "meta", "description": "This document and liveness."},
        ],
        "security": [{}, {"bearerToken": []}, {"sessionCookie": []}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "The value of DIPWATCH_API_TOKEN."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "dipwatch_session", "description": "Set by signing in on /login."},
            },
        },
    }
