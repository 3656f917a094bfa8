"""The fleet routes' rows of the permission matrix (tests/server/test_permissions.py): which
roles may call each, on their own tenant's objects and another's. ``POST /v1/checkins`` needs
an attestation chain answering the unit's challenge: tests/server/fleet/test_checkins.py covers
its refusals (expired, replayed and another partner's challenges)."""

from __future__ import annotations

import json
from typing import Any

from tests.server.fleet.helpers import example_report

L, A, PA, F, S = "licensor_admin", "auditor", "partner_admin", "factory", "support"
READERS = (L, A, PA, S)


def fleet_rows(row: Any, raw_row: Any) -> list[Any]:
    """``row``/``raw_row``: the matrix's constructors (JSON body / raw body)."""
    return [
        raw_row(
            "POST",
            "/v1/reports",
            (F, S),
            lambda t: f"/v1/reports?device_id={t.device}",
            lambda t: json.dumps(example_report("consumer", serial=t.serial)).encode(),
        ),
        row(
            "GET",
            "/v1/units/{device_id}/history",
            READERS,
            lambda t: f"/v1/units/{t.device}/history",
        ),
        row("GET", "/v1/alerts", READERS),
        row(
            "POST",
            "/v1/alerts/{alert_id}/acknowledge",
            (L, PA, S),
            lambda t: f"/v1/alerts/{t.alert}/acknowledge",
            lambda _e, _t: {"note": "called the owner"},
        ),
        row(
            "POST",
            "/v1/webhooks",
            (L, PA),
            body=lambda _e, t: {"partner_id": t.partner, "url": "https://hooks.example.com/hg"},
        ),
        row("GET", "/v1/webhooks", (L, A, PA)),
        row(
            "GET",
            "/v1/webhooks/{webhook_id}/deliveries",
            (L, A, PA),
            lambda t: f"/v1/webhooks/{t.webhook}/deliveries",
        ),
        row(
            "PUT",
            "/v1/agreements/{agreement_id}/fleet-policy",
            (L, PA),
            lambda t: f"/v1/agreements/{t.agreement}/fleet-policy",
            lambda _e, _t: {"stale_after_hours": 24},
        ),
        row("GET", "/v1/fleet/overview", READERS),
        row("GET", "/v1/fleet/golden", READERS),
        # A search, filtered by tenant like a list: another partner's serial finds nothing.
        raw_row(
            "GET",
            "/v1/support/lookup",
            READERS,
            lambda t: f"/v1/support/lookup?q={t.serial}",
            bound=False,
        ),
        row(
            "POST",
            "/v1/checkins/challenge",
            (F, S),
            body=lambda _e, t: {"device_id": t.device},
        ),
    ]
