"""Pushes through several servers at once, for the scale-out tests: each writer pushes its own
folders in order, all start together, and every failure is reported."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from modelreg import Client, ModelVersion
from tests.e2e.conftest import RunningServer
from tests.factories import opaque_bytes


@dataclass(frozen=True)
class ConcurrentPushes:
    folders: dict[str, list[Path]]  # per server label, in push order
    pushed: dict[str, list[ModelVersion]]  # what each server answered, in push order

    def folder_of(self) -> dict[int, Path]:
        """The folder each version number was pushed from."""
        return {
            v.version: self.folders[label][i]
            for label, versions in self.pushed.items()
            for i, v in enumerate(versions)
        }


def push_concurrently(
    servers: dict[str, RunningServer],
    model: str,
    tmp_path: Path,
    *,
    pushes_per_server: int,
    shared_size: int,
) -> ConcurrentPushes:
    """Every push carries the same ``shared.bin`` (so the servers store that blob at the same
    time) and its own ``own.txt`` (so each version can be told apart afterwards)."""
    shared = opaque_bytes(shared_size)
    folders: dict[str, list[Path]] = {label: [] for label in servers}
    for label in servers:
        for i in range(pushes_per_server):
            folder = tmp_path / f"push-{label}-{i}"
            folder.mkdir()
            (folder / "shared.bin").write_bytes(shared)
            (folder / "own.txt").write_text(f"writer {label}, push {i}, {os.urandom(8).hex()}\n")
            folders[label].append(folder)

    start = threading.Barrier(len(servers))
    pushed: dict[str, list[ModelVersion]] = {label: [] for label in servers}
    failures: list[BaseException] = []

    def push_all(label: str) -> None:
        try:
            cache = tmp_path / f"cache-{label}"
            with Client(servers[label].url, cache_dir=cache, user=f"writer-{label}") as client:
                start.wait(timeout=60)
                for i, folder in enumerate(folders[label]):
                    version = client.push(model, folder, tags={"writer": label, "i": str(i)})
                    pushed[label].append(version)
        except BaseException as error:
            failures.append(error)
            start.abort()

    threads = [threading.Thread(target=push_all, args=(label,)) for label in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "pushes did not finish within 180 s"
    assert not failures, f"pushes failed: {failures!r}"
    return ConcurrentPushes(folders, pushed)
