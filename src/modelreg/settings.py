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
