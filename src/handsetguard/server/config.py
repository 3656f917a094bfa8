"""Settings: read from ``HANDSETGUARD_*`` environment variables (or given explicitly), only
when an app or a command is built — never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///handsetguard-server.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDSETGUARD_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL: ``sqlite:///path.db`` (embedded default) or
    ``postgresql+psycopg://user:pass@host/db``."""
    threads: int = Field(default=4, ge=1, le=256)
    """Worker threads per process for the (synchronous) handlers, and on PostgreSQL the
    activations one process runs at once on its event loop. The work is CPU under one GIL:
    scale with processes (``serve --workers``), not threads (see docs/server.md)."""
    pool_size: int = Field(default=16, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    rate_limit_per_second: float = Field(default=1000.0, gt=0)
    """Requests per second per credential (token bucket, per process; not a correctness
    mechanism — quotas are enforced in the database)."""
    rate_limit_burst: int = Field(default=2000, ge=1)
    nonce_ttl_seconds: int = Field(default=300, ge=10)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=100)
    key_encryption_key_file: str | None = None
    """Path of the key-encryption key (base64 of 32 bytes; ``server new-key-file`` writes
    one): signing keys are then stored sealed with AES-256-GCM, and a sealed key can only be
    used with it. Without it new keys are stored unsealed."""
    attestation_status_list: str | None = None
    """Path of Google's attestation status list (JSON) used when a chain is sent; without it
    the attestation verifier fails closed."""
