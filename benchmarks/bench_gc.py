"""Garbage-collection benchmark: how long ``modelreg gc`` takes over a large blob store, next to
what merely walking and unlinking the same files costs.

    python benchmarks/bench_gc.py [--blobs 100000] [--database-url URL] [--json out.json]

What it does:

1. Creates a fresh registry (SQLite in a temp home unless ``--database-url``) and writes N
   small blobs (64 bytes each) straight into the local store's layout,
   ``blobs/blake3/<xx>/<hex>``: the cheap way to get N objects; GC never re-hashes content.
2. Records half of them as version files: versions of 1,000 files each, inserted through
   ``tx.insert_version`` (the store's own code path).
3. Physical references over the same tree: an ``os.scandir`` walk, ``find blobs -type f | wc -l``
   and, for deletion, ``find -type f -delete`` of a copy holding as many files as GC deletes.
4. ``GarbageCollector.collect(grace=0)``: a dry run (mark + sweep + re-check, nothing deleted),
   then the real run (deletes the unreferenced half), then a second real run (nothing left).
   Checks that exactly the unreferenced half was deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, VersionDraft, VersionStatus
from modelreg.service.gc import GarbageCollector
from modelreg.settings import Settings
from modelreg.wiring import open_services

T = TypeVar("T")
FILES_PER_VERSION = 1000
BLOB_BYTES = 64


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def write_blobs(root: Path, count: int) -> list[str]:
    """``count`` random 64-byte files under ``root`` in the content-addressed layout."""
    names = [secrets.token_hex(32) for _ in range(count)]
    for hexpart in names:
        folder = root / "blake3" / hexpart[:2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / hexpart).write_bytes(os.urandom(BLOB_BYTES))
    return names


def scandir_count(root: Path) -> int:
    total = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    entry.stat(follow_symlinks=False)  # GC needs size and mtime too
                    total += 1
    return total


def find_count(root: Path) -> int:
    listing = subprocess.run(
        ["find", str(root), "-type", "f"], check=True, capture_output=True, text=True
    )
    return len(listing.stdout.splitlines())


def run(blobs: int, database_url: str | None, workdir: Path) -> dict[str, Any]:
    home = workdir / "home"
    services = open_services(Settings(home=home, database_url=database_url))
    root = home / "blobs" / "blobs"
    figures: dict[str, Any] = {"blobs": blobs, "database": services.metadata.engine.dialect.name}
    try:
        figures["write_blobs_s"], names = timed(lambda: write_blobs(root, blobs))
        referenced = names[: blobs // 2]

        def record() -> None:
            for start in range(0, len(referenced), FILES_PER_VERSION):
                chunk = referenced[start : start + FILES_PER_VERSION]
                draft = VersionDraft(
                    files=tuple(
                        FileEntry(f"f{i}.bin", BLOB_BYTES, Digest("blake3", h))
                        for i, h in enumerate(chunk)
                    )
                )
                with services.metadata.transaction(write=True) as tx:
                    if start == 0:
                        tx.create_model(
                            "bench", description="", owner=None, tags={}, now=datetime.now(UTC)
                        )
                    tx.insert_version(
                        "bench",
                        draft,
                        status=VersionStatus.READY,
                        created_by="bench",
                        now=datetime.now(UTC),
                    )

        figures["record_versions_s"], _ = timed(record)
        figures["scandir_s"], counted = timed(lambda: scandir_count(root))
        figures["find_wc_s"], found = timed(lambda: find_count(root))
        assert counted == found == blobs, (counted, found, blobs)
        figures["list_digests_s"], listed = timed(
            lambda: sum(1 for _ in services.blobs.list_digests())
        )
        assert listed == blobs

        collector = GarbageCollector(services.outbox, services.blobs)
        figures["gc_dry_run_s"], dry = timed(
            lambda: collector.collect(grace=timedelta(0), dry_run=True)
        )
        figures["gc_s"], real = timed(lambda: collector.collect(grace=timedelta(0)))
        figures["gc_again_s"], again = timed(lambda: collector.collect(grace=timedelta(0)))
        unreferenced = blobs - len(referenced)
        assert dry.blobs.objects == real.blobs.objects == unreferenced, (dry, real)
        assert again.blobs.objects == 0
        assert sum(1 for _ in services.blobs.list_digests()) == len(referenced)
        figures["deleted"] = real.blobs.objects

        copy = workdir / "reference"
        write_blobs(copy, unreferenced)
        figures["find_delete_s"], _ = timed(
            lambda: subprocess.run(["find", str(copy), "-type", "f", "-delete"], check=True)
        )
    finally:
        services.close()
    return figures


def report(figures: dict[str, Any]) -> None:
    n, deleted = figures["blobs"], figures["deleted"]
    rows = [
        ("write N blobs (setup)", figures["write_blobs_s"], ""),
        ("record N/2 as version files (setup)", figures["record_versions_s"], ""),
        ("os.scandir walk + stat", figures["scandir_s"], "physical reference"),
        ("find | wc -l", figures["find_wc_s"], "physical reference"),
        ("BlobStore.list_digests()", figures["list_digests_s"], ""),
        ("gc --dry-run --grace 0", figures["gc_dry_run_s"], f"{deleted} would go"),
        ("gc --grace 0", figures["gc_s"], f"{deleted} deleted"),
        ("gc again (nothing to delete)", figures["gc_again_s"], ""),
        (f"find -delete of {deleted} files", figures["find_delete_s"], "physical reference"),
    ]
    print(f"{n} blobs, {figures['database']}; {deleted} unreferenced")
    for label, seconds, note in rows:
        print(f"  {label:<40} {seconds:8.2f} s  {1e6 * seconds / n:8.1f} us/blob  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blobs", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-gc-", dir=args.workdir))
    try:
        figures = run(args.blobs, args.database_url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
