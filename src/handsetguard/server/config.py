"""Settings: read from ``HANDSETGUARD_*`` environment variables (or given explicitly), only
when an app or a command is built — never at import."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///handsetguard-server.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDSETGUARD_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL: ``sqlite:///path.db`` (embedded default) or
    ``postgresql+psycopg://user:pass@host/db``."""
    threads: int = Field(default=2, ge=1, le=256)
    """Worker threads per process for the (synchronous) handlers, and on PostgreSQL the
    asyncio connections per process of the hot paths (activations, reports, check-ins) run
    on the event loop. The work is CPU under one GIL: scale with processes (``serve
    --workers``), not threads (see docs/server.md). 2 measured best on bench_fleet (2
    processes on 2 cores: 594 against 475 reports/s on SQLite, 451 against 331 on
    PostgreSQL with 4)."""
    pool_size: int = Field(default=16, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    rate_limit_per_second: float = Field(default=1000.0, gt=0)
    """Requests per second per credential (token bucket, per process; not a correctness
    mechanism — quotas are enforced in the database)."""
    rate_limit_burst: int = Field(default=2000, ge=1)
    nonce_ttl_seconds: int = Field(default=300, ge=10, le=86_400)
    max_open_nonces: int = Field(default=1000, ge=1)
    """Unused, unexpired nonces one credential may hold; past it, 429 ``too_many_nonces``."""
    metrics_allow_from: list[str] = Field(default_factory=list)
    """Networks (``127.0.0.1/32``, ``10.0.0.0/8``; JSON list in the environment) whose
    clients read ``/metrics`` without a credential; others need a licensor-admin or auditor
    credential."""
    opentelemetry: bool = False
    """FastAPI's native OpenTelemetry instrumentation (spans, metrics and logs for each
    request, to the providers the process's OpenTelemetry SDK configures). Off by default:
    the service's own metrics are Prometheus' (``/metrics``)."""
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=100)
    key_encryption_key_file: str | None = None
    """Path of the key-encryption key (base64 of 32 bytes; ``server new-key-file`` writes
    one): private keys are stored sealed with AES-256-GCM, and a sealed key can only be
    used with it. Unset: ``$XDG_CONFIG_HOME/handsetguard/server.kek`` when it exists (``server
    init`` creates it); with neither, no new key can be stored (see below)."""
    unsafe_unsealed_keys: bool = False
    """Store new private keys unsealed when there is no key-encryption key (anyone who can
    read the database or a backup can then sign activations). Never into a sealed set."""
    attestation_status_list: str | None = None
    """Path of Google's attestation status list (JSON) used when a chain is sent; without it
    the attestation verifier fails closed."""

    @field_validator("metrics_allow_from")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names it
        return value
