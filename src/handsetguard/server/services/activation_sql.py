"""The activation hot path's SQL, per dialect, and the model columns each read selects (read
by :mod:`handsetguard.server.services.activation_store`, which runs it; the statements' design
is described there)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from handsetguard.server.models import (
    Activation,
    Agreement,
    BlockedImei,
    Device,
    Nonce,
    SigningKey,
)
from handsetguard.server.services.credentials import LOOKUP_COLUMNS

__all__ = [
    "AFTER_HOLES",
    "AGREEMENT_COLUMNS",
    "AGREEMENT_STATE",
    "AUDIT_HOLES",
    "CONSUME_NONCE",
    "DEVICE_COLUMNS",
    "NONCE_COLUMNS",
    "PG_WRITE",
    "READS",
    "READ_COLUMNS",
    "SIGNER_COLUMNS",
    "SQLITE_WRITES",
    "STORED_COLUMNS",
    "Column",
]

Column = InstrumentedAttribute[Any]

DEVICE_COLUMNS: tuple[Column, ...] = (
    Device.id,
    Device.partner_id,
    Device.serial,
    Device.imei1,
    Device.imei2,
    Device.meid,
    Device.model_code,
    Device.territory,
    Device.status,
)
STORED_COLUMNS: tuple[Column, ...] = (
    Activation.id,
    Activation.kid,
    Activation.token,
    Activation.overage,
)
"""Read with each device (``activation_id``, ``kid``, ``token``, ``overage``)."""
SIGNER_COLUMNS: tuple[Column, ...] = (SigningKey.kid, SigningKey.private_key)
"""Read with the credential (``signer_kid``, ``signer_key``): the active signing key."""
AGREEMENT_COLUMNS: tuple[Column, ...] = tuple(
    getattr(Agreement, c.name) for c in Agreement.__table__.columns
)
NONCE_COLUMNS: tuple[Column, ...] = (Nonce.credential_id, Nonce.used_at, Nonce.expires_at)


# Each read: the columns it selects and the keys they get in the snapshot's dicts.
READ_COLUMNS: dict[str, tuple[tuple[Column, ...], tuple[str, ...]]] = {
    "credential": (
        LOOKUP_COLUMNS + SIGNER_COLUMNS,
        tuple(c.key for c in LOOKUP_COLUMNS) + ("signer_kid", "signer_key"),
    ),
    "devices": (
        DEVICE_COLUMNS + STORED_COLUMNS,
        tuple(c.key for c in DEVICE_COLUMNS) + ("activation_id", "kid", "token", "overage"),
    ),
    "agreements": (AGREEMENT_COLUMNS, tuple(c.key for c in AGREEMENT_COLUMNS)),
    "nonce": (NONCE_COLUMNS, tuple(c.key for c in NONCE_COLUMNS)),
    "blocked": ((BlockedImei.imei,), ("imei",)),
}


def _select(read: str) -> str:
    return ", ".join(f"{c.class_.__tablename__}.{c.key}" for c in READ_COLUMNS[read][0])


# Serials are unique per partner (the caller's); IMEIs and MEIDs everywhere (no MEID: NULL,
# which matches nothing).
_HELD = (
    "SELECT id FROM devices WHERE serial = :serial AND partner_id ="
    " (SELECT partner_id FROM credentials WHERE id = :credential_id)"
    " UNION SELECT device_id FROM device_imeis WHERE imei IN (:imei1, :imei2)"
    " UNION SELECT id FROM devices WHERE meid = :meid"
)
READS = {
    "credential": f"SELECT {_select('credential')} FROM credentials"
    " LEFT JOIN signing_keys ON signing_keys.status = 'active'"
    " WHERE credentials.id = :credential_id",
    # A device and its activation are inserted together, so one statement sees both.
    "devices": f"SELECT {_select('devices')} FROM devices"
    " LEFT JOIN activations ON activations.device_id = devices.id"
    f" WHERE devices.id IN ({_HELD})",
    "agreements": f"SELECT {_select('agreements')} FROM agreements WHERE partner_id ="
    " (SELECT partner_id FROM credentials WHERE id = :credential_id) ORDER BY id",
    "nonce": f"SELECT {_select('nonce')} FROM nonces WHERE value = :nonce",
    # IMEIs reported lost or stolen (registers: imported blocklist): imei_blocklisted.
    "blocked": "SELECT imei FROM imei_blocklist WHERE imei IN (:imei1, :imei2)",
}
AGREEMENT_STATE = "SELECT status, version FROM agreements WHERE id = :agreement_id"
CONSUME_NONCE = (
    "UPDATE nonces SET used_at = :now WHERE value = :nonce AND credential_id = :credential_id"
    " AND used_at IS NULL AND expires_at > :now"
)
_GUARD = (
    "UPDATE agreements SET used = used + 1 WHERE id = :agreement_id AND version = :version"
    " AND status = 'active' AND used < unit_limit"
)
_DEVICE_FIELDS = (
    "id, serial, imei1, imei2, meid, model_code, territory, partner_id, agreement_id,"
    " factory_line, activated_at, status"
)
_DEVICE_VALUES = (
    ":device_id, :serial, :imei1, :imei2, :meid, :model_code, :territory, :partner_id,"
    " :agreement_id, :factory_line, :now, 'active'"
)
_ACTIVATION_FIELDS = (
    "id, device_id, partner_id, agreement_id, agreement_version, seq, overage, territory,"
    " model_code, unit_rate, currency, issued_at, credential_id, kid, token, attested"
)
_AUDIT_FIELDS = (
    "seq, at, actor_id, actor_role, action, target_type, target_id, partner_id, before, after,"
    " prev_hash, hash"
)

# The audit entry's holes, in the order they occur in its canonical JSON (keys sorted:
# "after" holds "overage" before "seq"; the entry's own "seq" comes after "after").
AUDIT_HOLES = ("overage", "counter", "entry_seq")
AFTER_HOLES = ("overage", "counter")

PG_WRITE = f"""
WITH c AS (
    {_GUARD} RETURNING used, used > quota AS overage
), d AS (
    INSERT INTO devices ({_DEVICE_FIELDS}) SELECT {_DEVICE_VALUES} FROM c
), i AS (
    INSERT INTO device_imeis (imei, device_id)
    SELECT imei, :device_id FROM c, unnest(:imeis::text[]) AS imei
), a AS (
    INSERT INTO activations ({_ACTIVATION_FIELDS})
    SELECT :activation_id, :device_id, :partner_id, :agreement_id, :version, c.used, c.overage,
        :territory, :model_code,
        (SELECT t.rate FROM unnest(:tier_from::int[], :tier_rate::text[])
             WITH ORDINALITY AS t(from_units, rate, n)
         WHERE c.used > t.from_units OR t.n = 1 ORDER BY t.n DESC LIMIT 1),
        :currency, :now, :credential_id, :kid,
        CASE WHEN c.overage THEN :token_overage ELSE :token END, :attested
    FROM c
), h AS (
    UPDATE audit_head SET
        seq = audit_head.seq + 1,
        prev_hash = audit_head.hash,
        hash = encode(sha256(
            convert_to(audit_head.hash, 'UTF8') || :part0::bytea
            || convert_to(c.overage::text, 'UTF8') || :part1::bytea
            || convert_to(c.used::text, 'UTF8') || :part2::bytea
            || convert_to((audit_head.seq + 1)::text, 'UTF8') || :part3::bytea
        ), 'hex')
    FROM c WHERE audit_head.id = 1
    RETURNING audit_head.seq, audit_head.prev_hash, audit_head.hash, c.used, c.overage
), l AS (
    INSERT INTO audit_log ({_AUDIT_FIELDS})
    SELECT h.seq, :at, :credential_id, :actor_role, 'device.activate', 'device', :device_id,
        :partner_id, NULL,
        (:after0::text || h.overage::text || :after1::text || h.used::text
            || :after2::text)::json,
        h.prev_hash, h.hash
    FROM h
)
SELECT used, overage FROM c
"""

SQLITE_WRITES = {
    "count": f"{_GUARD} RETURNING used",
    "device": f"INSERT INTO devices ({_DEVICE_FIELDS}) VALUES ({_DEVICE_VALUES})",
    "imei": "INSERT INTO device_imeis (imei, device_id) VALUES (:imei, :device_id)",
    "activation": f"INSERT INTO activations ({_ACTIVATION_FIELDS}) VALUES (:activation_id,"
    " :device_id, :partner_id, :agreement_id, :version, :seq, :overage, :territory,"
    " :model_code, :unit_rate, :currency, :now, :credential_id, :kid, :token, :attested)",
    "head": "SELECT seq, hash FROM audit_head WHERE id = 1",
    "audit": f"INSERT INTO audit_log ({_AUDIT_FIELDS}) VALUES (:seq, :at, :actor_id,"
    " :actor_role, :action, :target_type, :target_id, :partner_id, :before, :after,"
    " :prev_hash, :hash)",
    "advance": "UPDATE audit_head SET seq = :seq, prev_hash = :prev_hash, hash = :hash"
    " WHERE id = 1",
}
