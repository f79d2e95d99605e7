"""Settings from the environment (HANDOFF_*) and an optional `handoff.toml`.

Precedence, highest first: environment variables, the TOML file (`HANDOFF_CONFIG` names it,
else `./handoff.toml` when present), then the defaults below. Everything is validated at start
so a typo fails with one clear line instead of a surprise later.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic.networks import IPvAnyNetwork
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path("handoff.toml")


def _config_file() -> Path | None:
    named = os.environ.get("HANDOFF_CONFIG")
    if named:
        return Path(named)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None


class ConfigError(ValueError):
    """A setting is missing or invalid; the message is meant for the user as is."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDOFF_", extra="forbid")

    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset means the embedded server."
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("handoff", appauthor=False)),
        description="Where the embedded PostgreSQL and the demo token live.",
    )
    embedded_listen_host: str | None = Field(
        default=None,
        description="Also listen on this TCP address (127.0.0.1); default is the socket only.",
    )
    max_participants: int = Field(default=1000, ge=1, le=100_000)
    max_overrides: int = Field(
        default=200, ge=1, le=100_000, description="Overrides of a rotation that have not ended."
    )
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    worker_concurrency: int = Field(default=10, ge=1, le=200)
    batch_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    batch_max_advances: int = Field(default=150, ge=1, le=1_000_000)
    pool_size: int = Field(default=10, ge=1, le=200)
    session_idle_minutes: int = Field(
        default=480, ge=1, le=525_600, description="A web session unused this long ends."
    )
    session_lifetime_hours: int = Field(
        default=168, ge=1, le=8760, description="A web session ends this long after sign-in."
    )
    # Retention (engine.md): finished queue rows, and the history only when this is set.
    queue_retention_succeeded_minutes: int = Field(default=60, ge=1, le=525_600)
    queue_retention_failed_days: int = Field(default=7, ge=1, le=3650)
    history_retention_days: int | None = Field(default=None, ge=1, le=36_500)
    audit_days: int = Field(
        default=400, ge=1, le=36_500, description="Audit log entries are kept this many days."
    )
    # Single sign-on (people.md): OpenID Connect, on when the issuer, client id and secret are set.
    oidc_issuer: str | None = Field(default=None, description="The OpenID provider's issuer URL.")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_name: str = Field(default="single sign-on", description='"Sign in with NAME".')
    oidc_create: Literal["responder", "reader"] | None = Field(
        default=None,
        description="Create an unknown verified email's person with this role at first sign-in.",
    )
    # Notifications (notify.md).
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:pass@host:port (smtps:// for TLS) for email channels.",
    )
    # Security (issue 24): what the service trusts and how long it waits for a client.
    webhook_allow_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Networks (CIDRs, comma-separated) that webhook and Slack channels may reach"
        " although they are not global; loopback and link-local only when named.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxy addresses (or networks) whose X-Forwarded-For and"
        " X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips); default none.",
    )
    body_timeout_seconds: float = Field(
        default=10.0, gt=0, le=600, description="A request body must arrive within this."
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, le=600, description="A request's headers must arrive within this."
    )
    hsts_max_age_seconds: int = Field(
        default=31_536_000,
        ge=0,
        le=63_072_000,
        description="Strict-Transport-Security max-age on responses served over https; 0: none.",
    )

    @field_validator("webhook_allow_networks", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for proxy in value:
            ipaddress.ip_network(proxy, strict=False)  # a ValueError names the bad one
        return value

    # Deployment beyond one machine (deploy.md).
    database_pooler: Literal["none", "transaction"] = Field(
        default="none",
        description="transaction: a pooler such as PgBouncer in transaction mode sits between"
        " the processes and PostgreSQL (no prepared statements, no LISTEN through it).",
    )
    listen_database_url: str | None = Field(
        default=None,
        description="A direct PostgreSQL URL (no pooler) for the workers' LISTEN; unset with a"
        " transaction pooler means the workers poll for due jobs instead.",
    )
    shutdown_seconds: float = Field(
        default=20.0, ge=1, le=3600, description="On SIGTERM a process exits within this."
    )
    worker_health_port: int | None = Field(
        default=None, ge=1, le=65535, description="A worker serves /healthz and /readyz here."
    )

    @field_validator("database_url", "listen_database_url")
    @classmethod
    def _url_is_postgres(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (or postgres://)")
        return value

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @field_validator("smtp_url")
    @classmethod
    def _url_is_smtp(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// (or smtps:// for TLS)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Load and validate the settings, turning pydantic's report into one readable line."""
    path = _config_file()
    if path is not None and not path.is_file():
        raise ConfigError(f"config file {path} (from HANDOFF_CONFIG) does not exist")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    except Exception as exc:  # malformed TOML and the like
        raise ConfigError(f"invalid configuration: {exc}") from None
