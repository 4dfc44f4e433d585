"""Operating commands: server, db upgrade|check, cache ls|prune."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelreg.cli.output import human_size, print_json, print_table
from modelreg.client.cache import BlobCache
from modelreg.client.client import default_cache_dir
from modelreg.domain.errors import ConflictError
from modelreg.settings import Settings

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
cache_app = typer.Typer(help="The local cache of pulled blobs.", no_args_is_help=True)


def _settings(
    home: Path | None, database_url: str | None, storage_url: str | None, **extra: object
) -> Settings:
    values: dict[str, object] = dict(extra)
    if home is not None:
        values["home"] = home
    if database_url:
        values["database_url"] = database_url
    if storage_url:
        values["storage_url"] = storage_url
    return Settings(**values)  # type: ignore[arg-type]


HomeOption = Annotated[Path | None, typer.Option(envvar="MODELREG_HOME", help="Registry folder.")]
DatabaseOption = Annotated[
    str | None, typer.Option(envvar="MODELREG_DATABASE_URL", help="SQLAlchemy database URL.")
]
StorageOption = Annotated[
    str | None,
    typer.Option(envvar="MODELREG_STORAGE_URL", help="Blob storage folder or s3://bucket/prefix."),
]


def server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    home: HomeOption = None,
    database_url: DatabaseOption = None,
    storage_url: StorageOption = None,
    auth: Annotated[
        bool | None,
        typer.Option(
            "--auth/--no-auth",
            help="Require API tokens (default: MODELREG_AUTH, else off); see docs/security.md.",
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow no authentication on a non-loopback host.")
    ] = False,
    s3_endpoint_url: Annotated[
        str | None,
        typer.Option(envvar="MODELREG_S3_ENDPOINT_URL", help="S3 endpoint (docs/storage-s3.md)."),
    ] = None,
    s3_region: Annotated[
        str | None, typer.Option(envvar="MODELREG_S3_REGION", help="S3 region.")
    ] = None,
    direct_transfers: Annotated[
        bool | None,
        typer.Option(
            "--direct-transfers/--no-direct-transfers",
            help="Clients move blob bytes straight to and from S3 (default: on).",
        ),
    ] = None,
) -> None:
    """Run the registry's HTTP server (API at /api/v1, docs at /docs)."""
    import uvicorn

    from modelreg.server.app import create_app
    from modelreg.server.auth import check_exposure

    extra: dict[str, object] = {"host": host, "port": port}
    if auth is not None:
        extra["auth"] = auth
    if insecure:
        extra["insecure"] = True
    s3_options = {"s3_endpoint_url": s3_endpoint_url, "s3_region": s3_region}
    extra.update({key: value for key, value in s3_options.items() if value})
    if direct_transfers is not None:
        extra["direct_transfers"] = direct_transfers
    settings = _settings(home, database_url, storage_url, **extra)
    check_exposure(settings.host, auth=settings.auth, insecure=settings.insecure)
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


@db_app.command("upgrade")
def upgrade(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Apply every pending migration."""
    from modelreg.store.sql import migrate
    from modelreg.store.sql.engine import make_engine

    settings = _settings(home, database_url, None)
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url())
    migrate.upgrade(engine)
    print(f"database at revision {migrate.current_revision(engine)}")


@db_app.command("check")
def check(home: HomeOption = None, database_url: DatabaseOption = None) -> None:
    """Fail when the database schema differs from the code's table definitions."""
    from modelreg.store.sql import migrate
    from modelreg.store.sql.engine import make_engine

    engine = make_engine(_settings(home, database_url, None).resolved_database_url())
    if migrate.scripted_head() != migrate.head_revision():
        raise ConflictError(
            f"modelreg expects revision {migrate.head_revision()} but the newest migration is "
            f"{migrate.scripted_head()}: migrate.HEAD is out of date"
        )
    if migrate.current_revision(engine) != migrate.head_revision():
        raise ConflictError("the database is not at the latest revision; run 'modelreg db upgrade'")
    drift = migrate.schema_drift(engine)
    if drift:
        raise ConflictError(f"schema differs from the table definitions: {drift[:3]}")
    print("schema matches the migrations")


CacheOption = Annotated[Path | None, typer.Option(envvar="MODELREG_CACHE", help="Cache folder.")]


@cache_app.command("ls")
def cache_ls(
    cache_dir: CacheOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Blobs kept in the local cache."""
    entries = list(BlobCache(cache_dir or default_cache_dir()).entries())
    if json_output:
        print_json([{"digest": str(e.digest), "size": e.size} for e in entries])
        return
    print_table(None, ["digest", "size"], [(str(e.digest), human_size(e.size)) for e in entries])
    print(f"{len(entries)} blobs, {human_size(sum(e.size for e in entries))}")


@cache_app.command("prune")
def cache_prune(cache_dir: CacheOption = None) -> None:
    """Empty the local cache."""
    freed = BlobCache(cache_dir or default_cache_dir()).prune()
    print(f"freed {human_size(freed)}")
