"""Prototypes behind the suggested fixes in docs/benchmarks.md, measured against the current code.

    python benchmarks/foundation_prototypes.py search-sql [--versions 100000]
    python benchmarks/foundation_prototypes.py resolve    [--versions 10000]
    python benchmarks/foundation_prototypes.py blob-commit

Nothing here is used by modelreg; each prototype checks that it returns what the current code
returns, then times both interleaved (A, B, A, B, ...) so a busy machine slows both alike.
``search-sql`` and ``resolve`` populate a temporary registry the way bench_foundation.py does.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_foundation as bench


def interleaved(fns: dict[str, Callable[[], object]], n: int, clock: Callable[[], float]) -> None:
    for fn in fns.values():
        for _ in range(5):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            start = clock()
            fn()
            samples[name].append(clock() - start)
    kind = "CPU" if clock is time.thread_time else "wall"
    for name, xs in samples.items():
        print(
            f"  {name:<58} {kind} p50 {statistics.median(xs) * 1e3:8.3f} ms"
            f"   p90 {bench.percentile(xs, 90) * 1e3:8.3f} ms"
        )
    print(f"  (load {bench.loadavg()})")


def search_sql(home: Path) -> None:
    """The compiled search statement vs a join on the sort key, in SQLite directly."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from modelreg.domain.filters import Target, parse_query
    from modelreg.store.sql import search

    def compiled(limit: int) -> str:
        query = parse_query(bench.SEARCH_FILTER, Target.VERSIONS)
        statement = search.version_statement(query).offset(0).limit(limit)
        return str(
            statement.compile(
                dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}
            )
        )

    joined = (
        "SELECT mv.id, rm.name FROM version_metrics AS s "
        "JOIN model_versions AS mv ON mv.id = s.version_id "
        "JOIN registered_models AS rm ON rm.id = mv.model_id "
        "WHERE s.key = 'auc' AND s.value > 0.5 "
        "ORDER BY s.value DESC, mv.id DESC LIMIT ?"
    )

    connection = sqlite3.connect(home / "registry.db")
    for limit in (101, 1001):
        current = compiled(limit)
        a = [row[0] for row in connection.execute(current)]
        b = [row[0] for row in connection.execute(joined, (limit,))]
        assert a == b, "the join must return the same versions in the same order"
        print(f"{limit - 1} rows (+1 to detect a next page); same ids and order: yes")
        for label, sql, params in (("current", current, ()), ("join", joined, (limit,))):
            explain = connection.execute("EXPLAIN QUERY PLAN " + sql, params)
            print(f"  plan, {label}: " + " | ".join(r[3] for r in explain))
        interleaved(
            {
                "current (correlated subqueries, CASE IS NULL)": lambda s=current: (
                    connection.execute(s).fetchall()
                ),
                "join on the sort key": lambda n=limit: connection.execute(joined, (n,)).fetchall(),
            },
            10,
            time.thread_time,
        )


def resolve(home: Path) -> None:
    """Registry.resolve (10 statements through the ORM) vs 2 SQLAlchemy Core statements."""
    from sqlalchemy import Float, bindparam, cast, literal, null, select, union_all

    from modelreg.domain.digests import Digest
    from modelreg.domain.entities import FileEntry, Lineage, ModelVersion
    from modelreg.settings import Settings
    from modelreg.store.sql.tables import (
        AliasRow,
        ModelVersionRow,
        RegisteredModelRow,
        VersionFileRow,
        VersionMetricRow,
        VersionParamRow,
        VersionTagRow,
    )
    from modelreg.wiring import open_services

    services = open_services(Settings(home=home))
    services.registry.set_alias("m", "production", 2, actor="bench")
    mv, rm, al = ModelVersionRow, RegisteredModelRow, AliasRow
    head = (
        select(
            mv.id,
            mv.version,
            mv.status,
            mv.description,
            mv.created_by,
            mv.created_at,
            mv.source_commit,
            mv.source_url,
            mv.parent_version,
            mv.run_id,
            mv.experiment_id,
            mv.datasets,
            rm.name,
        )
        .select_from(al)
        .join(mv, mv.id == al.version_id)
        .join(rm, rm.id == al.model_id)
        .where(rm.name == bindparam("name"), al.name == bindparam("alias"))
    )
    vid = bindparam("vid")
    f, p, m, t = VersionFileRow, VersionParamRow, VersionMetricRow, VersionTagRow
    children = union_all(
        select(literal("f"), f.path, cast(f.size, Float), f.digest).where(f.version_id == vid),
        select(literal("p"), p.key, null(), p.value).where(p.version_id == vid),
        select(literal("m"), m.key, m.value, null()).where(m.version_id == vid),
        select(literal("t"), t.key, null(), t.value).where(t.version_id == vid),
        select(literal("a"), al.name, null(), null()).where(al.version_id == vid),
    )

    def resolve_in_two(name: str, alias: str) -> ModelVersion:
        with services.metadata.transaction() as tx:
            session = tx.session  # type: ignore[attr-defined]
            h = session.execute(head, {"name": name, "alias": alias}).one()
            files: list[FileEntry] = []
            params: dict[str, Any] = {}
            metrics: dict[str, Any] = {}
            tags: dict[str, Any] = {}
            aliases: list[str] = []
            for kind, key, number, text in session.execute(children, {"vid": h.id}):
                if kind == "f":
                    files.append(FileEntry(key, int(number), Digest.parse(text)))
                elif kind == "p":
                    params[key] = text
                elif kind == "m":
                    metrics[key] = number
                elif kind == "t":
                    tags[key] = text
                else:
                    aliases.append(key)
        return ModelVersion(
            h.name,
            h.version,
            h.status,
            h.description,
            dict(sorted(params.items())),
            dict(sorted(metrics.items())),
            dict(sorted(tags.items())),
            Lineage(
                h.source_commit,
                h.source_url,
                tuple(h.datasets or ()),
                h.parent_version,
                h.run_id,
                h.experiment_id,
            ),
            tuple(sorted(files, key=lambda e: e.path)),
            h.created_by,
            h.created_at,
            tuple(sorted(aliases)),
        )

    assert services.registry.resolve(bench.ALIAS_REF) == resolve_in_two("m", "production"), (
        "the prototype must return the same ModelVersion"
    )
    print("m@production, same ModelVersion from both: yes")
    interleaved(
        {
            "Registry.resolve (current)": lambda: services.registry.resolve(bench.ALIAS_REF),
            "2 Core statements (join + UNION ALL of children)": lambda: resolve_in_two(
                "m", "production"
            ),
        },
        1000,
        time.thread_time,
    )
    services.close()


def blob_commit(root: Path) -> None:
    """A durable small-blob commit: the content-addressed store today vs one rename."""
    import blake3

    from modelreg.blobs.cas import ContentAddressedStore, write_stream
    from modelreg.blobs.local import LocalBackend, _fsync_folder
    from modelreg.domain.digests import Digest

    store = ContentAddressedStore(LocalBackend(root / "cas"))
    direct = root / "direct"
    (direct / ".partial").mkdir(parents=True)

    def current() -> None:
        data = os.urandom(1024)
        digest = Digest("blake3", blake3.blake3(data).hexdigest())
        write_stream(store, "blake3", [data], digest, len(data))

    def one_rename() -> None:
        data = os.urandom(1024)
        hexdigest = blake3.blake3(data).hexdigest()
        temp = direct / ".partial" / f"{secrets.token_hex(16)}.part"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        target = direct / "blobs" / "blake3" / hexdigest[:2] / hexdigest
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)
        _fsync_folder(target.parent)

    interleaved(
        {
            "current: .partial -> uploads/<id>/data -> blobs/..., rmdirs": current,
            "one rename: .partial -> blobs/... (file + dir fsync)": one_rename,
        },
        300,
        time.perf_counter,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prototype", choices=["search-sql", "resolve", "blob-commit"])
    parser.add_argument("--versions", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modelreg-proto-"))
    try:
        if args.prototype == "blob-commit":
            blob_commit(work)
            return 0
        versions = args.versions or (100_000 if args.prototype == "search-sql" else 10_000)
        print(f"populating {versions:,} versions ...")
        bench.populate(work / "home", versions, "bulk")
        if args.prototype == "search-sql":
            search_sql(work / "home")
        else:
            resolve(work / "home")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
