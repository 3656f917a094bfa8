"""The support desk: find a unit by IMEI (either slot, Luhn-checked), MEID (any of its
formats), serial or part of a serial, and its card — partner, agreement, territory, model,
activation and its proof, the latest posture per tier, open alerts, timeline. Scoped like
every query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.core.identifiers import is_valid_imei, parse_meid
from handsetguard.server.errors import InvalidInputError
from handsetguard.server.models import (
    Activation,
    Agreement,
    CheckIn,
    Device,
    DeviceImei,
    FleetUnit,
    Partner,
)
from handsetguard.server.services import alerts, history
from handsetguard.server.services.actors import Actor, require
from handsetguard.server.services.common import scoped
from handsetguard.server.services.fleet_state import report_by_id
from handsetguard.server.services.registration_gate import registration_card

__all__ = ["MAX_MATCHES", "Lookup", "lookup", "unit_card"]

MAX_MATCHES = 20
MIN_PARTIAL = 3


@dataclass(frozen=True, slots=True)
class Lookup:
    matched_by: str
    """``imei``, ``meid``, ``serial`` or ``partial_serial``."""
    units: list[Device]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def lookup(session: Session, actor: Actor, q: str) -> Lookup:
    require(actor, *alerts.READERS)
    q = q.strip()
    if not q:
        raise InvalidInputError("query_required", "give an IMEI, a serial or part of a serial")
    base = scoped(select(Device), actor, Device.partner_id)
    if not is_valid_imei(q):  # a 15-digit IMEI is never read as a MEID
        by_meid = _by_meid(session, base, q)
        if by_meid:
            return Lookup("meid", by_meid)
    if q.isdigit() and len(q) in (14, 15, 16):
        if not is_valid_imei(q):
            raise InvalidInputError(
                "invalid_imei", f"{q} is not a valid IMEI (15 digits with a Luhn check digit)"
            )
        # A join, not IN (subquery): SQLite would otherwise walk all the partner's units.
        query = base.join(DeviceImei, DeviceImei.device_id == Device.id).where(DeviceImei.imei == q)
        return Lookup("imei", list(session.execute(query).scalars()))
    exact = list(session.execute(base.where(Device.serial == q)).scalars())
    if exact:
        return Lookup("serial", exact)
    if len(q) < MIN_PARTIAL:
        raise InvalidInputError(
            "query_too_short", f"a partial serial needs at least {MIN_PARTIAL} characters"
        )
    pattern = _like_prefix(q)
    for like in (f"{pattern}%", f"%{pattern}%"):
        query = base.where(Device.serial.like(like, escape="\\")).order_by(Device.serial)
        found = list(session.execute(query.limit(MAX_MATCHES)).scalars())
        if found:
            return Lookup("partial_serial", found)
    return Lookup("partial_serial", [])


def _by_meid(session: Session, base: Any, q: str) -> list[Device]:
    """The units holding ``q`` read as a MEID (14 hex digits, 15 with its check digit, 18 or
    19 decimal), if it is one; a text that is not a MEID, or no unit, is an empty list and
    the query goes on as an IMEI or a serial."""
    try:
        meid = parse_meid(q)
    except ValueError:
        return []
    return list(session.execute(base.where(Device.meid == meid)).scalars())


def _latest_checkin(session: Session, device_id: str) -> CheckIn | None:
    query = (
        select(CheckIn)
        .where(CheckIn.device_id == device_id)
        .order_by(CheckIn.received_at.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def _posture(session: Session, unit: Device, state: FleetUnit | None) -> dict[str, Any]:
    """The latest facts per tier: attested (verified check-in), os (what the OS reported at
    that check-in), host (the latest report, collected by the host)."""
    report = None
    if state is not None and state.last_report_id:
        report = report_by_id(session, state.last_report_id, state.last_report_at)
    checkin = _latest_checkin(session, unit.id)
    return {
        "host": history.report_entry(report) if report is not None else None,
        "attested": (
            {"at": checkin.received_at.isoformat(), **checkin.attested}
            if checkin is not None and checkin.verified
            else None
        ),
        "os": (
            {"at": checkin.received_at.isoformat(), **checkin.os_reported}
            if checkin is not None and checkin.os_reported
            else None
        ),
    }


def unit_card(session: Session, unit: Device, *, timeline: bool = True) -> dict[str, Any]:
    partner = session.get(Partner, unit.partner_id)
    agreement = session.get(Agreement, unit.agreement_id)
    activation = session.execute(
        select(Activation).where(Activation.device_id == unit.id)
    ).scalar_one_or_none()
    state = session.get(FleetUnit, unit.id)
    return {
        "device_id": unit.id,
        "serial": unit.serial,
        "imei1": unit.imei1,
        "imei2": unit.imei2,
        "meid": unit.meid,
        "model_code": unit.model_code,
        "territory": unit.territory,
        "status": unit.status,
        "partner": {"id": unit.partner_id, "legal_name": partner.legal_name if partner else None},
        "agreement": {"id": unit.agreement_id, "name": agreement.name if agreement else None},
        "activation": None
        if activation is None
        else {
            "id": activation.id,
            "issued_at": activation.issued_at.isoformat(),
            "seq": activation.seq,
            "kid": activation.kid,
            "attested": activation.attested,
            "proof": activation.token,
        },
        "baseline_report_id": state.baseline_report_id if state else None,
        "last_seen_at": state.last_seen_at.isoformat() if state else None,
        "level": state.level if state else None,
        "posture": _posture(session, unit, state),
        "open_alerts": [
            {"id": a.id, "kind": a.kind, "reason": a.reason, "raised_at": a.raised_at.isoformat()}
            for a in alerts.open_alerts_of(session, unit.id)
        ],
        "timeline": history.timeline(session, unit.id) if timeline else None,
        "registration": registration_card(session, unit),
    }
