"""The workload of ``bench_mlflow.py``: what the MLflow client does against each target.

``prepare`` sets a target up (a run with a small artifact, the models, the 10,000 versions to
search), ``measure_metadata`` times the metadata calls, ``measure_transfers`` the artifact
transfers. ``measure_metadata`` takes several targets and a number of rounds: in each round
every target, in a rotating order, makes its share of each call. On a machine whose speed
drifts during a run (twice as fast at the end as at the start, on the development machine),
targets measured one after another are measured on different machines; interleaved, each
target meets the same drift.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient

MiB = 1 << 20
SEARCH_MODEL = "search-target"
LATENCIES = ("search_versions_100", "search_models", "alias_lookup")


class Served(Protocol):
    name: str
    url: str


@dataclass
class Target:
    """A server and the workload's calls against it."""

    server: Served
    client: MlflowClient
    transfer_run: Callable[[], str]  # the run id a transfer logs to
    create: Callable[[], object]
    calls: dict[str, Callable[[], object]]  # by latency figure, as ``LATENCIES``
    run: Any = None  # the real run (None for the floor)


@dataclass
class Results:
    target: str
    figures: dict[str, Any] = field(default_factory=dict)


def prepare(server: Served, scratch: Path, args: argparse.Namespace, populate: bool) -> Target:
    """A run with a small artifact to register from, the model ``create`` adds versions to,
    and (``populate``) the model searched, filled to ``args.versions``, with an alias."""
    mlflow.set_tracking_uri(server.url)
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    tag = server.name.replace("-", "")
    run = client.create_run(client.create_experiment(f"bench-{tag}-{time.time_ns()}"))
    small = scratch / "weights.bin"
    small.write_bytes(os.urandom(4096))
    client.log_artifact(run.info.run_id, str(small), "model")
    source = f"runs:/{run.info.run_id}/model"
    model = f"create-{tag}"
    client.create_registered_model(model)
    if populate:
        client.create_registered_model(SEARCH_MODEL)
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda _: client.create_model_version(SEARCH_MODEL, source, run.info.run_id),
                    range(args.versions),
                )
            )
        client.set_registered_model_alias(SEARCH_MODEL, "champion", "1")
    return Target(
        server=server,
        client=client,
        transfer_run=lambda: run.info.run_id,
        create=lambda: client.create_model_version(model, source, run.info.run_id),
        calls=_latency_calls(client),
        run=run,
    )


def prepare_floor(server: Served) -> Target:
    """The same calls against canned answers (``canned_server.py``)."""
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    source = "runs:/0123456789abcdef0123456789abcdef/model"
    return Target(
        server=server,
        client=client,
        # Any run id gets modelreg's run back; a new one each time, because the client caches
        # each run's artifact location with the server it first asked.
        transfer_run=lambda: os.urandom(16).hex(),
        create=lambda: client.create_model_version("create-modelreg", source),
        calls=_latency_calls(client),
    )


def _latency_calls(client: MlflowClient) -> dict[str, Callable[[], object]]:
    return {
        "search_versions_100": lambda: client.search_model_versions(
            f"name = '{SEARCH_MODEL}'", max_results=100
        ),
        "search_models": lambda: client.search_registered_models(max_results=100),
        "alias_lookup": lambda: client.get_model_version_by_alias(SEARCH_MODEL, "champion"),
    }


def measure_metadata(
    targets: list[Target], args: argparse.Namespace, rounds: int
) -> dict[str, dict[str, Any]]:
    """Creates and latencies, each target's calls split over ``rounds`` rounds."""
    creates = {t.server.name: 0.0 for t in targets}
    samples: dict[str, dict[str, list[float]]] = {
        t.server.name: {key: [] for key in LATENCIES} for t in targets
    }
    # Each round's figure per call (create: mean ms; others: median ms), for ratios per round.
    by_round: dict[str, dict[str, list[float]]] = {
        t.server.name: {key: [] for key in ("create_version_ms", *LATENCIES)} for t in targets
    }
    per_round_creates = max(1, args.creates // rounds)
    per_round_repeat = max(1, args.repeat // rounds)
    for number in range(rounds):
        shift = number % len(targets)
        for target in targets[shift:] + targets[:shift]:
            mlflow.set_tracking_uri(target.server.url)
            name = target.server.name
            began = time.perf_counter()
            for _ in range(per_round_creates):
                target.create()
            elapsed = time.perf_counter() - began
            creates[name] += elapsed
            by_round[name]["create_version_ms"].append(elapsed / per_round_creates * 1000)
            for key, call in target.calls.items():
                taken = []
                for _ in range(per_round_repeat):
                    began = time.perf_counter()
                    call()
                    taken.append((time.perf_counter() - began) * 1000)
                samples[name][key].extend(taken)
                by_round[name][key].append(statistics.median(taken))
    figures: dict[str, dict[str, Any]] = {}
    total = per_round_creates * rounds
    for name, elapsed in creates.items():
        found: dict[str, Any] = {
            "create_version_per_s": total / elapsed,
            "create_version_ms": elapsed / total * 1000,
        }
        for key, values in samples[name].items():
            values.sort()
            found[key] = {
                "p50_ms": statistics.median(values),
                "p90_ms": values[int(len(values) * 0.9) - 1],
            }
        found["rounds"] = by_round[name]
        figures[name] = found
    return figures


def measure_transfers(target: Target, scratch: Path, big: Path) -> dict[str, float]:
    """``log_artifact`` and ``download_artifacts`` of ``big``, each after ``touch_memory``."""
    mlflow.set_tracking_uri(target.server.url)
    figures: dict[str, float] = {}
    size = big.stat().st_size
    run_id = target.transfer_run()
    figures["page_cache_write_MBps"] = touch_memory(scratch, size)
    figures["durable_write_MBps"] = durable_write(scratch, size)
    began = time.perf_counter()
    target.client.log_artifact(run_id, str(big), "big")
    figures["upload_MBps"] = size / MiB / (time.perf_counter() - began)
    landing = scratch / f"down-{target.server.name}"
    landing.mkdir()
    touch_memory(scratch, size)
    began = time.perf_counter()
    path = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="big/big.bin", dst_path=str(landing)
    )
    figures["download_MBps"] = size / MiB / (time.perf_counter() - began)
    assert Path(path).stat().st_size == size
    shutil.rmtree(landing)
    return figures


def durable_write(scratch: Path, size: int) -> float:
    """Write ``size`` bytes and ``fsync`` them, then delete them; returns the rate (MB/s).

    The physical reference for an upload to a server that makes what it stores durable before
    answering, as modelreg does (blobs/local.py): no such server can store faster than this
    disk. ``mlflow server`` answers once the bytes are in the page cache, which is bounded by
    the page-cache write above instead."""
    return _timed_write(scratch / "durable.bin", size, durable=True)


def write_big_file(big: Path, mib: int) -> None:
    if big.exists():
        return
    with big.open("wb") as handle:
        block = os.urandom(MiB)
        for i in range(mib):
            handle.write(i.to_bytes(8, "little") + block[8:])


def touch_memory(scratch: Path, size: int) -> float:
    """Write and delete ``size`` bytes in ``scratch``; returns the rate (MB/s).

    The first write of a GiB into memory this machine has not used yet runs at a fraction of
    later ones, and the MLflow client writes each download into the page cache: without this,
    whichever server is measured first meets cold memory. The rate is the physical reference
    printed beside the transfers."""
    return _timed_write(scratch / "touch.bin", size, durable=False)


def _timed_write(spare: Path, size: int, *, durable: bool) -> float:
    """Write ``size`` bytes to ``spare`` (and fsync them), delete it; the rate in MB/s."""
    block = b"\0" * MiB
    began = time.perf_counter()
    with spare.open("wb") as handle:
        for _ in range(size // MiB):
            handle.write(block)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    elapsed = time.perf_counter() - began
    spare.unlink()
    return size / MiB / elapsed


def round_ratios(
    figures: dict[str, dict[str, Any]], ours: str, theirs: str
) -> dict[str, tuple[float, float, float]]:
    """Per call, the lowest, median and highest of ``theirs / ours`` over the rounds, each
    round's two figures measured minutes apart at most: how steady a run's ratio was."""
    found: dict[str, tuple[float, float, float]] = {}
    mine, other = figures[ours].get("rounds"), figures[theirs].get("rounds")
    if not mine or not other:
        return found
    for key, values in mine.items():
        ratios = sorted(b / a for a, b in zip(values, other[key], strict=True) if a > 0)
        if ratios:
            found[key] = (ratios[0], statistics.median(ratios), ratios[-1])
    return found
