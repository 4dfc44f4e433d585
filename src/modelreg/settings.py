"""One settings object, read from arguments and ``MODELREG_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MODELREG_", extra="ignore")

    home: Path = Field(default=Path("modelreg-data"), description="Folder of the embedded registry")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite inside home"
    )
    storage_url: str | None = Field(
        default=None, description="Blob storage: a folder path or file:// URL; default: home/blobs"
    )
    host: str = "127.0.0.1"
    port: int = 8080
    max_json_bytes: int = Field(default=16 * 1024 * 1024, description="Largest JSON request body")
    webhook_worker: bool = Field(
        default=True, description="Deliver webhooks from the server process"
    )
    webhook_poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds between looks for due webhook deliveries"
    )
    webhook_timeout: float = Field(default=10.0, gt=0, description="Seconds per webhook POST")
    webhook_retry_base: float = Field(
        default=2.0, gt=0, description="First retry delay in seconds; doubles per failure"
    )
    webhook_retry_cap: float = Field(default=600.0, gt=0, description="Longest retry delay")
    webhook_max_attempts: int = Field(default=20, ge=1, description="Attempts before giving up")
    webhook_lease: float = Field(
        default=120.0, gt=0, description="Seconds a worker holds a delivery before others retry it"
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Hosts webhooks may target (fnmatch patterns; '*' allows all, loopback too)",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'registry.db').resolve()}"

    def resolved_storage_path(self) -> Path:
        url = self.storage_url
        if not url:
            return (self.home / "blobs").resolve()
        if url.startswith("file://"):
            return Path(url.removeprefix("file://")).resolve()
        if "://" in url:
            raise ValueError(f"unsupported storage URL {url!r} (use a folder path or file://)")
        return Path(url).resolve()
