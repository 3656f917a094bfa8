"""Royalty statements per partner, agreement and calendar month (UTC).

Each activation stores the rate of its tier (by the counter value it took), so a statement
is a sum over activations: units by territory × model × rate, overage units, amounts,
cumulative totals. Closing a period stores its statement; a closed period is then always
answered from that snapshot, and corrections are adjustment lines posted in an open period.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handsetguard.server.errors import ConflictError, InvalidInputError, NotFoundError
from handsetguard.server.models import (
    Activation,
    Agreement,
    Partner,
    RoyaltyAdjustment,
    RoyaltyClosure,
)
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import visible
from handsetguard.server.services.registration_gate import registration_counts

__all__ = [
    "SCHEMA",
    "add_adjustment",
    "close_period",
    "partner_statements",
    "period_bounds",
    "statement",
    "to_csv",
]

SCHEMA = 1
READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN)
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def period_bounds(period: str) -> tuple[datetime, datetime]:
    match = _PERIOD.fullmatch(period)
    if match is None:
        raise InvalidInputError("invalid_period", f"period {period!r} is not YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not 1 <= year <= 9998:
        raise InvalidInputError("invalid_period", f"period {period!r}: years 0001-9998 only")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def period_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _agreement(session: Session, actor: Actor, agreement_id: str) -> Agreement:
    require(actor, *READERS)
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFoundError("agreement_not_found", f"no agreement {agreement_id}")
    visible(actor, agreement.partner_id, "agreement", agreement_id)
    return agreement


def _compute(session: Session, agreement: Agreement, period: str) -> dict[str, Any]:
    start, end = period_bounds(period)
    in_period = (
        Activation.agreement_id == agreement.id,
        Activation.issued_at >= start,
        Activation.issued_at < end,
    )
    rows = session.execute(
        select(
            Activation.territory,
            Activation.model_code,
            Activation.unit_rate,
            Activation.overage,
            func.count(),
        )
        .where(*in_period)
        .group_by(
            Activation.territory, Activation.model_code, Activation.unit_rate, Activation.overage
        )
    ).all()
    groups: dict[tuple[str, str, Decimal], list[int]] = {}
    for territory, model, rate, overage, count in rows:
        units = groups.setdefault((territory, model, Decimal(rate)), [0, 0])
        units[0] += count
        units[1] += count if overage else 0
    lines: list[dict[str, Any]] = [
        {
            "territory": t,
            "model_code": m,
            "rate": str(r),
            "units": u,
            "overage_units": o,
            "amount": str(r * u),
        }
        for (t, m, r), (u, o) in sorted(groups.items())
    ]
    adjustments = (
        session.execute(
            select(RoyaltyAdjustment)
            .where(
                RoyaltyAdjustment.agreement_id == agreement.id, RoyaltyAdjustment.period == period
            )
            .order_by(RoyaltyAdjustment.id)
        )
        .scalars()
        .all()
    )
    adj = [
        {
            "id": a.id,
            "refers_to_period": a.refers_to_period,
            "units": a.units,
            "amount": str(a.amount),
            "reason": a.reason,
        }
        for a in adjustments
    ]
    amount = sum((r * u for (_t, _m, r), (u, _o) in groups.items()), Decimal(0))
    adj_amount = sum((a.amount for a in adjustments), Decimal(0))
    cum_units, cum_amount = _cumulative(session, agreement.id, period, end)
    partner = session.get(Partner, agreement.partner_id)
    return {
        "schema": SCHEMA,
        "partner": {
            "id": agreement.partner_id,
            "legal_name": partner.legal_name if partner else "",
        },
        "agreement": {"id": agreement.id, "name": agreement.name, "currency": agreement.currency},
        "period": period,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "status": "open",
        "closed_at": None,
        "lines": lines,
        "adjustments": adj,
        "totals": {
            "units": sum(line["units"] for line in lines),
            "overage_units": sum(line["overage_units"] for line in lines),
            "amount": str(amount),
            "adjustment_units": sum(a.units for a in adjustments),
            "adjustment_amount": str(adj_amount),
            "total_amount": str(amount + adj_amount),
        },
        "cumulative": {"units": cum_units, "amount": str(cum_amount)},
        # Per territory and model, the period's units with their territory's register
        # (activated, registered, rejected, in batch, unregistered) as of the statement.
        "registration": registration_counts(session, agreement.id, start, end),
    }


def _cumulative(
    session: Session, agreement_id: str, period: str, end: datetime
) -> tuple[int, Decimal]:
    units, amount = 0, Decimal(0)
    for (rate,) in session.execute(
        select(Activation.unit_rate).where(
            Activation.agreement_id == agreement_id, Activation.issued_at < end
        )
    ):
        units, amount = units + 1, amount + Decimal(rate)
    for adj_units, adj_amount in session.execute(
        select(RoyaltyAdjustment.units, RoyaltyAdjustment.amount).where(
            RoyaltyAdjustment.agreement_id == agreement_id, RoyaltyAdjustment.period <= period
        )
    ):
        units, amount = units + adj_units, amount + Decimal(adj_amount)
    return units, amount


def statement(session: Session, actor: Actor, agreement_id: str, period: str) -> dict[str, Any]:
    agreement = _agreement(session, actor, agreement_id)
    period_bounds(period)
    closed = session.execute(
        select(RoyaltyClosure).where(
            RoyaltyClosure.agreement_id == agreement.id, RoyaltyClosure.period == period
        )
    ).scalar_one_or_none()
    if closed is not None:
        return closed.statement
    return _compute(session, agreement, period)


def partner_statements(
    session: Session, actor: Actor, partner_id: str, period: str
) -> list[dict[str, Any]]:
    require(actor, *READERS)
    visible(actor, partner_id, "partner", partner_id)
    period_bounds(period)
    if session.get(Partner, partner_id) is None:
        raise NotFoundError("partner_not_found", f"no partner {partner_id}")
    ids = session.execute(
        select(Agreement.id).where(Agreement.partner_id == partner_id).order_by(Agreement.id)
    ).scalars()
    return [statement(session, actor, agreement_id, period) for agreement_id in ids]


def close_period(
    session: Session, actor: Actor, agreement_id: str, period: str, now: datetime
) -> dict[str, Any]:
    require(actor, Role.LICENSOR_ADMIN)
    agreement = _agreement(session, actor, agreement_id)
    _, end = period_bounds(period)
    if end > now:
        raise ConflictError("period_not_over", f"{period} has not ended yet")
    if session.execute(
        select(RoyaltyClosure.id).where(
            RoyaltyClosure.agreement_id == agreement.id, RoyaltyClosure.period == period
        )
    ).first():
        raise ConflictError("period_closed", f"{period} is already closed")
    frozen = _compute(session, agreement, period)
    frozen["status"], frozen["closed_at"] = "closed", now.isoformat()
    session.add(
        RoyaltyClosure(agreement_id=agreement.id, period=period, closed_at=now, statement=frozen)
    )
    audit.append(
        session,
        actor,
        at=now,
        action="royalty.close",
        target=("agreement", agreement.id),
        partner_id=agreement.partner_id,
        after={"period": period, "totals": frozen["totals"]},
    )
    return frozen


def add_adjustment(
    session: Session,
    actor: Actor,
    agreement_id: str,
    refers_to_period: str,
    units: int,
    amount: Decimal,
    reason: str,
    now: datetime,
) -> RoyaltyAdjustment:
    """A correction line, posted in the current (open) period."""
    require(actor, Role.LICENSOR_ADMIN)
    agreement = _agreement(session, actor, agreement_id)
    period_bounds(refers_to_period)
    period = period_of(now)
    if session.execute(
        select(RoyaltyClosure.id).where(
            RoyaltyClosure.agreement_id == agreement.id, RoyaltyClosure.period == period
        )
    ).first():
        raise ConflictError("period_closed", f"the current period {period} is closed")
    row = RoyaltyAdjustment(
        agreement_id=agreement.id,
        period=period,
        refers_to_period=refers_to_period,
        units=units,
        amount=amount,
        reason=reason,
        created_at=now,
        created_by=actor.credential_id,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        at=now,
        action="royalty.adjust",
        target=("agreement", agreement.id),
        partner_id=agreement.partner_id,
        after={
            "period": period,
            "refers_to_period": refers_to_period,
            "units": units,
            "amount": str(amount),
            "reason": reason,
        },
    )
    return row


CSV_FIELDS = [
    "partner_id",
    "agreement_id",
    "period",
    "status",
    "kind",
    "territory",
    "model_code",
    "refers_to_period",
    "units",
    "overage_units",
    "rate",
    "amount",
    "currency",
    "note",
]


def to_csv(statements: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for s in statements:
        base = {
            "partner_id": s["partner"]["id"],
            "agreement_id": s["agreement"]["id"],
            "period": s["period"],
            "status": s["status"],
            "currency": s["agreement"]["currency"],
        }
        for line in s["lines"]:
            writer.writerow({**base, "kind": "units", **line})
        for adj in s["adjustments"]:
            writer.writerow(
                {
                    **base,
                    "kind": "adjustment",
                    "refers_to_period": adj["refers_to_period"],
                    "units": adj["units"],
                    "amount": adj["amount"],
                    "note": adj["reason"],
                }
            )
        totals, cumulative = s["totals"], s["cumulative"]
        writer.writerow(
            {
                **base,
                "kind": "total",
                "units": totals["units"],
                "overage_units": totals["overage_units"],
                "amount": totals["total_amount"],
            }
        )
        writer.writerow(
            {
                **base,
                "kind": "cumulative",
                "units": cumulative["units"],
                "amount": cumulative["amount"],
            }
        )
    return out.getvalue()
