"""One place that reads the environment; a bad value fails fast with the variable's name."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.fetching.limits import FetchLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"


class SettingsError(ValueError):
    """An environment variable holds a value the pipeline cannot use."""


@dataclass(frozen=True)
class Settings:
    warehouse_url: str
    data_dir: Path
    feeds_path: Path
    taxonomy_path: Path
    cleaning_path: Path
    limits: FetchLimits = field(default_factory=FetchLimits)

    def with_limits(self, **changes) -> Settings:
        return replace(self, limits=replace(self.limits, **changes))


def default_warehouse_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'warehouse.sqlite'}"


def _env_float(env, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number; set it to e.g. {default}") from None
    if value < 0:
        raise SettingsError(f"{name}={raw!r} must not be negative")
    return value


def _env_int(env, name: str, default: int) -> int:
    value = _env_float(env, name, default)
    if value != int(value):
        raise SettingsError(f"{name}={env.get(name)!r} must be a whole number")
    return int(value)


def _env_allowlist(env) -> tuple[str, ...]:
    from pipeline.fetching.netguard import parse_private_allowlist

    if env.get("NEWSMON_ALLOW_PRIVATE_HOSTS") not in (None, ""):
        raise SettingsError(
            "NEWSMON_ALLOW_PRIVATE_HOSTS is no longer read: name the non-public networks that may be "
            "fetched in NEWSMON_PRIVATE_ALLOWLIST instead (e.g. 127.0.0.1/32)"
        )
    try:
        return parse_private_allowlist(env.get("NEWSMON_PRIVATE_ALLOWLIST") or "")
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def load_settings(env=None) -> Settings:
    """Read NEWSMON_* variables; raise SettingsError naming the variable on a bad value."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("NEWSMON_DATA_DIR") or DEFAULT_DATA_DIR)
    defaults = FetchLimits()
    limits = FetchLimits(
        deadline=_env_float(env, "NEWSMON_FETCH_DEADLINE", defaults.deadline),
        connect_timeout=_env_float(env, "NEWSMON_CONNECT_TIMEOUT", defaults.connect_timeout),
        max_bytes=_env_int(env, "NEWSMON_MAX_BYTES", defaults.max_bytes),
        max_redirects=_env_int(env, "NEWSMON_MAX_REDIRECTS", defaults.max_redirects),
        retries=_env_int(env, "NEWSMON_RETRIES", defaults.retries),
        max_retry_after=_env_float(env, "NEWSMON_MAX_RETRY_AFTER", defaults.max_retry_after),
        per_host_concurrency=max(1, _env_int(env, "NEWSMON_PER_HOST_CONCURRENCY", defaults.per_host_concurrency)),
        per_host_delay=_env_float(env, "NEWSMON_PER_HOST_DELAY", defaults.per_host_delay),
        workers=max(1, _env_int(env, "NEWSMON_WORKERS", defaults.workers)),
        user_agent=env.get("NEWSMON_USER_AGENT") or defaults.user_agent,
        private_allowlist=_env_allowlist(env),
        max_extract_bytes=max(1024, _env_int(env, "NEWSMON_MAX_EXTRACT_BYTES", defaults.max_extract_bytes)),
        max_tag_chars=max(1000, _env_int(env, "NEWSMON_MAX_TAG_CHARS", defaults.max_tag_chars)),
        max_items_per_feed=max(1, _env_int(env, "NEWSMON_MAX_ITEMS_PER_FEED", defaults.max_items_per_feed)),
        page_seconds=max(1.0, _env_float(env, "NEWSMON_PAGE_SECONDS", defaults.page_seconds)),
        isolate_bytes=_env_int(env, "NEWSMON_ISOLATE_BYTES", defaults.isolate_bytes),
        cpu_workers=_env_int(env, "NEWSMON_CPU_WORKERS", 0),  # unset: 0, one per core
    )
    return Settings(
        warehouse_url=env.get("NEWSMON_WAREHOUSE_URL") or default_warehouse_url(data_dir),
        data_dir=data_dir,
        feeds_path=Path(env.get("NEWSMON_FEEDS") or PROJECT_ROOT / "config" / "feeds.yaml"),
        taxonomy_path=Path(env.get("NEWSMON_TAXONOMY") or PROJECT_ROOT / "config" / "taxonomy.yaml"),
        cleaning_path=Path(env.get("NEWSMON_CLEANING") or PROJECT_ROOT / "config" / "cleaning.yaml"),
        limits=limits,
    )
