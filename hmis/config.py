"""Typed settings, read from the environment once (by the app factory or the CLI)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./hmis.db"
DEFAULT_ROLES_CLAIMS = ("roles", "realm_access.roles", "groups")
# Research keys made with this are worthless outside a developer's machine, by design.
DEVELOPMENT_PSEUDONYM_KEY = "development-only-pseudonym-key"
MIB = 1024 * 1024


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which variable and why."""


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _role_map(value: str) -> dict[str, str]:
    mapping = {}
    for pair in _split(value):
        idp_role, sep, canonical = pair.partition("=")
        if not sep or not idp_role.strip() or not canonical.strip():
            raise ConfigError(
                f"HMIS_OIDC_ROLE_MAP: expected 'idp-role=canonical_role', got {pair!r}"
            )
        mapping[idp_role.strip()] = canonical.strip()
    return mapping


def _seconds(env, name: str, default: int) -> int:
    return _whole(env, name, default, "a number of seconds")


def _whole(env, name: str, default: int, what: str, *, least: int = 0) -> int:
    value = env.get(name)
    if not value:
        return default
    if not value.strip().isdigit() or int(value) < least:
        raise ConfigError(f"{name}: expected {what}, got {value!r}")
    return int(value)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def parse_origins(value: str) -> tuple[str, ...]:
    """The origins of `HMIS_CORS_ORIGINS` (comma separated), each checked: a scheme (http or
    https), a host and an optional port, nothing else. `*` and `null` are refused."""
    origins = []
    for raw in value.split(","):
        origin = raw.strip()
        if not origin:
            continue
        if origin in {"*", "null"}:
            raise ConfigError(
                f"HMIS_CORS_ORIGINS: {origin!r} is not allowed; list each origin that may call "
                "the API from a browser, e.g. 'https://app.example.org,http://localhost:3000'"
            )
        parts = urlsplit(origin)
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or parts.password
            or origin != origin.lower()
        ):
            raise ConfigError(
                f"HMIS_CORS_ORIGINS: {origin!r} is not an origin; write it as a browser sends "
                "it, scheme://host[:port] in lower case with no path or trailing slash, e.g. "
                "'http://localhost:3000'"
            )
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


FAST_READS_MODES = ("on", "off", "check")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    env: str = "production"
    oidc_issuer: str | None = None
    oidc_audience: str = "hmis-graphql"
    oidc_jwks_url: str | None = None
    # How long the issuer's keys are trusted before a refetch; an unknown `kid` refetches sooner.
    oidc_jwks_cache_seconds: int = 600
    roles_claims: tuple[str, ...] = DEFAULT_ROLES_CLAIMS
    org_claim: str = "hmis_org"
    role_map: dict[str, str] = field(default_factory=dict)
    # Never printed: repr=False keeps it out of logs and tracebacks.
    pseudonym_key: str | None = field(default=None, repr=False)
    # Introspection and GraphiQL are developer aids; off in production unless asked for.
    enable_graphiql: bool = False
    # Where the development issuer keeps its signing key (git-ignored).
    dev_key_dir: Path = Path("var/dev-issuer")
    # A request body still incomplete after this long is answered 408 (a slow or lying client
    # would otherwise hold its connection and memory indefinitely).
    body_timeout_seconds: float = 10.0
    # The one calendar unit aggregate readers (third parties) receive tables for: periods of
    # one unit never overlap, so no published period can be compared with another holding it
    # (a year against its quarters) to pin a suppressed count (docs/aggregates.md).
    aggregate_reader_unit: str = "QUARTER"
    # Browser origins allowed to call the API (`HMIS_CORS_ORIGINS`, checked by
    # hmis.cors.parse_origins); none by default: no reply carries a CORS header.
    cors_origins: tuple[str, ...] = ()
    # HUD CSV imports over HTTP (docs/hud-csv.md, "Limits"): the upload, the time it may take
    # to arrive, and what its files may unzip to (one file, all of them) and hold (rows of
    # one file). `hmis import-csv` applies the unzipped limits too.
    import_max_upload_bytes: int = 256 * MIB
    import_body_timeout_seconds: float = 300.0
    import_max_file_bytes: int = 512 * MIB
    import_max_total_bytes: int = 1024 * MIB
    import_max_rows: int = 1_000_000
    # Benchmark-only switch; the name says what it does so it can be found with grep.
    unsafe_disable_audit: bool = False
    # Queries complete their objects through read plans (hmis.schema.executor): "on"; "off":
    # through graphql-core alone; "check": both, every difference recorded (the tests).
    fast_reads: str = "on"

    @property
    def development(self) -> bool:
        return self.env == "development"

    def check_production(self) -> None:
        """Refuse settings that are only safe on a developer's machine."""
        if self.development:
            return
        if not self.pseudonym_key or self.pseudonym_key == DEVELOPMENT_PSEUDONYM_KEY:
            raise ConfigError("HMIS_PSEUDONYM_KEY must be set to a secret in production")
        if self.unsafe_disable_audit:
            # Every access must be logged (POLICY.md, Audit): the switch exists for benchmarks.
            raise ConfigError(
                "HMIS_UNSAFE_DISABLE_AUDIT turns the access log off and is for benchmarks on a "
                "developer's machine only: production refuses to start with it (unset it)"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, *, default_env: str = "production"):
        env = os.environ if environ is None else environ
        mode = env.get("HMIS_ENV", default_env)
        if mode not in {"development", "production"}:
            raise ConfigError(f"HMIS_ENV must be 'development' or 'production', got {mode!r}")
        graphiql = env.get("HMIS_ENABLE_GRAPHIQL")
        unit = env.get("HMIS_AGGREGATE_READER_UNIT", "QUARTER").strip().upper()
        if unit not in {"YEAR", "QUARTER", "MONTH"}:
            raise ConfigError(
                f"HMIS_AGGREGATE_READER_UNIT must be YEAR, QUARTER or MONTH, got {unit!r}"
            )
        fast_reads = env.get("HMIS_FAST_READS", "on").strip().lower()
        if fast_reads not in FAST_READS_MODES:
            raise ConfigError(f"HMIS_FAST_READS must be on, off or check, got {fast_reads!r}")
        return cls(
            database_url=env.get("HMIS_DATABASE_URL", DEFAULT_DATABASE_URL),
            env=mode,
            oidc_issuer=env.get("HMIS_OIDC_ISSUER") or None,
            oidc_audience=env.get("HMIS_OIDC_AUDIENCE", "hmis-graphql"),
            oidc_jwks_url=env.get("HMIS_OIDC_JWKS_URL") or None,
            oidc_jwks_cache_seconds=_seconds(env, "HMIS_OIDC_JWKS_CACHE_SECONDS", 600),
            roles_claims=_split(env.get("HMIS_OIDC_ROLES_CLAIM", "")) or DEFAULT_ROLES_CLAIMS,
            org_claim=env.get("HMIS_OIDC_ORG_CLAIM", "hmis_org"),
            role_map=_role_map(env.get("HMIS_OIDC_ROLE_MAP", "")),
            pseudonym_key=env.get("HMIS_PSEUDONYM_KEY")
            or (DEVELOPMENT_PSEUDONYM_KEY if mode == "development" else None),
            enable_graphiql=_flag(graphiql) if graphiql is not None else mode == "development",
            dev_key_dir=Path(env.get("HMIS_DEV_KEY_DIR", "var/dev-issuer")),
            body_timeout_seconds=_seconds(env, "HMIS_BODY_TIMEOUT_SECONDS", 10),
            aggregate_reader_unit=unit,
            cors_origins=parse_origins(env.get("HMIS_CORS_ORIGINS", "")),
            import_max_upload_bytes=_whole(
                env, "HMIS_IMPORT_MAX_UPLOAD_BYTES", 256 * MIB, "a number of bytes", least=1
            ),
            import_body_timeout_seconds=_seconds(env, "HMIS_IMPORT_BODY_TIMEOUT_SECONDS", 300),
            import_max_file_bytes=_whole(
                env, "HMIS_IMPORT_MAX_FILE_BYTES", 512 * MIB, "a number of bytes", least=1
            ),
            import_max_total_bytes=_whole(
                env, "HMIS_IMPORT_MAX_TOTAL_BYTES", 1024 * MIB, "a number of bytes", least=1
            ),
            import_max_rows=_whole(
                env, "HMIS_IMPORT_MAX_ROWS", 1_000_000, "a number of rows", least=1
            ),
            unsafe_disable_audit=_flag(env.get("HMIS_UNSAFE_DISABLE_AUDIT")),
            fast_reads=fast_reads,
        )
