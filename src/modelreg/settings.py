"""One settings object, read from arguments and ``MODELREG_*`` environment variables."""

from __future__ import annotations

import os
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
        default=None,
        description="Blob storage: a folder path, file:// URL or s3://bucket/prefix; "
        "default: home/blobs",
    )
    # S3 storage (docs/storage-s3.md). Unset values fall back to the standard AWS variables
    # (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, credentials).
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint the server uses, e.g. http://127.0.0.1:9000"
    )
    s3_public_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint clients reach, for pre-signed URLs; default: same"
    )
    s3_region: str | None = Field(default=None, description="S3 region")
    s3_part_size: int = Field(
        default=16 * 1024 * 1024, ge=5 * 1024 * 1024, description="Server-side multipart size"
    )
    scan_enforce: bool = Field(
        default=True,
        description="Refuse downloads of files the model-file scan found unsafe or suspicious "
        "unless the caller overrides (false: verdicts are still recorded, shown and usable by "
        "policies, but downloads are not refused); docs/scanning.md",
    )
    direct_transfers: bool = Field(
        default=True,
        description="Let clients move blob bytes straight to and from the object store through "
        "pre-signed URLs, when the storage supports it (S3)",
    )
    direct_part_size: int = Field(
        default=64 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        le=5 * 1024 * 1024 * 1024,
        description="Part size of direct uploads (grows for blobs over 10,000 parts)",
    )
    direct_url_ttl: int = Field(
        default=3600, ge=60, le=7 * 24 * 3600, description="Seconds a pre-signed URL stays valid"
    )
    host: str = "127.0.0.1"
    port: int = 8080
    auth: bool = Field(
        default=False,
        description="Require an API token on every request (docs/security.md); off: the registry "
        "runs open, which the server allows only on a loopback address unless insecure is set",
    )
    insecure: bool = Field(
        default=False, description="Serve without authentication on a non-loopback address"
    )
    ui_secret: str | None = Field(
        default=None,
        repr=False,
        description="Key signing the web UI's CSRF tokens; servers behind one load balancer "
        "must share it (unset: a random key per process)",
    )
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
        description="Hosts webhooks may target: fnmatch patterns ('*': any name) and the "
        "non-public addresses or networks they may reach (e.g. 127.0.0.1, 10.0.0.0/8); by "
        "default only public addresses (docs/hardening.md)",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'registry.db').resolve()}"

    def s3_location(self) -> tuple[str, str] | None:
        """(bucket, prefix) of an ``s3://bucket/prefix`` storage URL, None for a folder."""
        url = self.storage_url or ""
        if not url.startswith("s3://"):
            return None
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"storage URL {url!r} names no bucket (use s3://bucket/prefix)")
        return bucket, prefix.strip("/")

    def resolved_s3_endpoint_url(self) -> str | None:
        env = os.environ
        return (
            self.s3_endpoint_url
            or env.get("AWS_ENDPOINT_URL_S3")
            or env.get("AWS_ENDPOINT_URL")
            or None
        )

    def resolved_s3_region(self) -> str | None:
        env = os.environ
        return self.s3_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None

    def resolved_storage_path(self) -> Path:
        url = self.storage_url
        if not url:
            return (self.home / "blobs").resolve()
        if url.startswith("file://"):
            return Path(url.removeprefix("file://")).resolve()
        if "://" in url:
            raise ValueError(
                f"unsupported storage URL {url!r} (use a folder path, file:// or s3://)"
            )
        return Path(url).resolve()
