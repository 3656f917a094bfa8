"""Pure checks of one activation request against the caller's scope and an agreement's
terms; each failure is a stable reason code."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from handsetguard.server.core.identifiers import (
    is_country,
    is_valid_imei,
    is_valid_model_code,
    is_valid_serial,
    parse_meid,
    tac,
)
from handsetguard.server.errors import ForbiddenError, InvalidInputError, RefusedError
from handsetguard.server.schemas.devices import ActivationIn
from handsetguard.server.services.actors import Actor, Role, require

__all__ = ["check_scope", "check_terms", "meid_of", "rate_for", "validate_identity"]


def validate_identity(body: ActivationIn) -> None:
    if not is_valid_serial(body.serial):
        raise InvalidInputError("invalid_serial", "serial: 4-64 letters, digits, . _ -")
    for name, imei in (("imei1", body.imei1), ("imei2", body.imei2)):
        if imei is not None and not is_valid_imei(imei):
            raise InvalidInputError(
                "invalid_imei", f"{name} is not 15 digits with a valid Luhn check digit"
            )
    if body.imei2 is not None and body.imei2 == body.imei1:
        raise InvalidInputError("invalid_imei", "imei1 and imei2 are the same")
    if body.meid is not None:
        try:
            parse_meid(body.meid)
        except ValueError as exc:
            raise InvalidInputError("invalid_meid", f"meid {body.meid!r}: {exc}") from exc
    if not is_valid_model_code(body.model_code):
        raise InvalidInputError("invalid_model", f"bad model code {body.model_code!r}")
    if not is_country(body.territory):
        raise InvalidInputError(
            "invalid_territory", f"{body.territory!r} is not an ISO 3166-1 alpha-2 code"
        )


def meid_of(body: ActivationIn) -> str | None:
    """The request's MEID as stored (14 upper-case hex digits), once validated."""
    return None if body.meid is None else parse_meid(body.meid)


def check_scope(actor: Actor, body: ActivationIn) -> None:
    require(actor, Role.FACTORY)
    if actor.model_code is not None and body.model_code != actor.model_code:
        raise ForbiddenError("credential_scope", "this credential is for another model")
    if actor.factory_line is not None and body.factory_line not in (None, actor.factory_line):
        raise ForbiddenError("credential_scope", "this credential is for another factory line")
    if actor.agreement_id is not None and body.agreement_id not in (None, actor.agreement_id):
        raise ForbiddenError("credential_scope", "this credential is for another agreement")


def check_terms(agreement: Mapping[Any, Any], body: ActivationIn, now: datetime) -> None:
    """``agreement``: a row of the agreements table (column name → value)."""
    status, start, end = agreement["status"], agreement["term_start"], agreement["term_end"]
    if status != "active":
        raise RefusedError(f"agreement_{status}", f"the agreement is {status}")
    if not start <= now.date() <= end:
        raise RefusedError("outside_term", f"the agreement runs {start} to {end}")
    if body.territory not in agreement["territories"]:
        raise RefusedError(
            "territory_not_licensed", f"{body.territory} is not a licensed territory"
        )
    model: dict[str, Any] | None = next(
        (m for m in agreement["device_models"] if m["model_code"] == body.model_code), None
    )
    if model is None:
        raise RefusedError("model_not_licensed", f"model {body.model_code} is not licensed")
    prefixes: list[str] = model.get("tac_prefixes") or []
    for imei in (body.imei1, body.imei2):
        if prefixes and imei is not None and not any(tac(imei).startswith(p) for p in prefixes):
            raise RefusedError(
                "tac_mismatch", f"IMEI TAC {tac(imei)} is not of model {body.model_code}"
            )


def rate_for(tiers: list[dict[str, Any]], seq: int) -> Decimal:
    """The royalty rate of the unit that took counter value ``seq`` (1-based)."""
    rate = Decimal(tiers[0]["rate"])
    for tier in tiers:
        if seq > int(tier["from_units"]):
            rate = Decimal(tier["rate"])
    return rate
