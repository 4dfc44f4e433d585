"""Web UI page latency on a large registry: 10,000 models and 100,000 versions in SQLite.

Fills a fresh registry directly through the metadata store (``create_model`` and
``insert_version`` in batched write transactions; every version names two blobs that exist),
starts a real ``modelreg server`` on it, then requests each page sequentially over one
keep-alive connection and prints p50/p99 latency beside ``/healthz`` and the JSON API
measured in the same run. The issue's budget is 200 ms per page.

    python benchmarks/bench_ui.py                      # build, measure, delete
    python benchmarks/bench_ui.py --home /tmp/big --keep   # keep the registry to re-measure
    python benchmarks/bench_ui.py --home /tmp/big --explain   # + SQLite plans of catalog queries
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from ui_demo import running_server

from modelreg.domain.entities import FileEntry, Lineage, VersionDraft, VersionStatus
from modelreg.domain.filters import Target, parse_query
from modelreg.hashing import DigestHasher
from modelreg.service.pagination import encode_cursor, fingerprint
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services

MODELS = 10_000
VERSIONS_PER_MODEL = 10
BATCH = 250  # models per write transaction
BUDGET_MS = 200.0
CARD = b"# Model card\n\nTrained on **synthetic** data for the UI benchmark.\n"
MARKER = "bench-ui-complete"


def put_blob(services: Services, data: bytes) -> FileEntry:
    hasher = DigestHasher("blake3")
    hasher.update(data)
    digest = hasher.digest()
    writer = services.blobs.begin_write(digest.algorithm)
    writer.write(data)
    writer.commit(digest, len(data))
    return FileEntry("", len(data), digest)


def populate(services: Services, models: int, per_model: int) -> None:
    rng = random.Random(42)
    card = put_blob(services, CARD)
    weights = put_blob(services, rng.randbytes(64 * 1024))
    files = (
        FileEntry("README.md", card.size, card.digest),
        FileEntry("weights.bin", weights.size, weights.digest),
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    for first in range(0, models, BATCH):
        with services.metadata.transaction(write=True) as tx:
            for index in range(first, min(first + BATCH, models)):
                name = f"model-{index:05d}"
                now = start + timedelta(minutes=index)
                tx.create_model(
                    name,
                    description=f"Synthetic model **{index}** for the UI benchmark.\n\nMore text.",
                    owner=f"team-{index % 50}",
                    tags={"team": f"team-{index % 50}", "domain": f"domain-{index % 7}"},
                    now=now,
                )
                for number in range(1, per_model + 1):
                    draft = VersionDraft(
                        files=files,
                        params={
                            "lr": str(rng.choice([0.1, 0.05, 0.01])),
                            "depth": str(rng.randint(3, 12)),
                            "optimizer": rng.choice(["adam", "sgd"]),
                            "epochs": str(rng.choice([5, 10, 20])),
                            "seed": str(number),
                        },
                        metrics={
                            "auc": rng.uniform(0.7, 0.99),
                            "f1": rng.uniform(0.5, 0.9),
                            "loss": rng.uniform(0.1, 1.0),
                            "latency_ms": rng.uniform(1, 20),
                        },
                        tags={"stage": rng.choice(["dev", "candidate"]), "run": str(number)},
                        description=f"Version {number} of {name}.",
                        lineage=Lineage(
                            source_commit=f"{rng.getrandbits(40):010x}",
                            parent_version=number - 1 if number > 1 else None,
                            datasets=("s3://bench/data",),
                        ),
                    )
                    tx.insert_version(
                        name,
                        draft,
                        status=VersionStatus.READY,
                        created_by="bench",
                        now=now + timedelta(seconds=number),
                    )
                if index % 3 == 0:
                    tx.set_alias(name, "production", per_model - 2, actor="bench", now=now)
                    tx.set_alias(name, "staging", per_model, actor="bench", now=now)
        done = min(first + BATCH, models)
        if done % 2000 == 0 or done == models:
            elapsed = time.perf_counter() - began
            print(f"  {done:>6} models, {done * per_model:>7} versions  ({elapsed:.0f} s)")


def measure(client: httpx.Client, paths: Callable[[int], str], rounds: int) -> list[float]:
    for warm in range(5):
        client.get(paths(warm)).raise_for_status()
    times = []
    for round_ in range(rounds):
        path = paths(round_)
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def pages(models: int, per_model: int) -> dict[str, Callable[[int], str]]:
    rng = random.Random(1)
    picks = [rng.randrange(models) for _ in range(1000)]

    def model(i: int) -> str:
        return f"model-{picks[i % len(picks)]:05d}"

    deep = encode_cursor(models // 2, fingerprint("models", ""))
    return {
        "/healthz (baseline)": lambda i: "/healthz",
        "API models, 50 (baseline)": lambda i: "/api/v1/models?limit=50",
        "catalog": lambda i: "/",
        "catalog, page at offset 5,000": lambda i: f"/?cursor={deep}",
        "catalog, filter tags.team": lambda i: f"/?q=tags.team+%3D+%27team-{i % 50}%27",
        "catalog, one word (ILIKE)": lambda i: f"/?q={model(i)}",
        "catalog, owner + alias": lambda i: f"/?owner=team-{i % 50}&alias=production",
        "catalog, sort recently updated": lambda i: "/?sort=-updated_at",
        "catalog, sort newest": lambda i: "/?sort=-created_at",
        "catalog, ORDER BY latest_version": lambda i: "/?q=ORDER+BY+latest_version+DESC",
        "model page": lambda i: f"/models/{model(i)}",
        "version page": lambda i: f"/models/{model(i)}/versions/{1 + i % per_model}",
        "history page": lambda i: f"/models/{model(i)}/history",
        "compare 2 versions": lambda i: f"/compare?v={model(i)}/1&v={model(i)}/2",
        "compare 10 versions": lambda i: (
            "/compare?" + "&".join(f"v={model(i + k)}/{1 + k % per_model}" for k in range(10))
        ),
    }


def explain(services: Services) -> None:
    """SQLite's plans for the catalog's main queries (what to index when one is slow)."""
    from sqlalchemy import text  # only this diagnostic needs SQL

    from modelreg.store.sql.search import model_statement

    engine = services.metadata.engine
    for label, filter_ in [
        ("catalog (by name)", ""),
        ("sort by updated_at", "ORDER BY updated_at DESC"),
        ("sort by latest_version", "ORDER BY latest_version DESC"),
        ("tag filter", "tags.team = 'team-7'"),
    ]:
        statement = model_statement(parse_query(filter_, Target.MODELS)).limit(51)
        compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as connection:
            plan = connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        print(f"\n{label}:")
        for row in plan:
            print(f"    {row[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="registry folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the registry afterwards")
    parser.add_argument("--models", type=int, default=MODELS)
    parser.add_argument("--versions-per-model", type=int, default=VERSIONS_PER_MODEL)
    parser.add_argument("--rounds", type=int, default=200, help="requests per page")
    parser.add_argument("--explain", action="store_true", help="print SQLite query plans")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="modelreg-bench-ui-")) / "home"
    marker = home / MARKER
    try:
        if not marker.exists():
            if home.exists():
                shutil.rmtree(home)
            print(f"populating {args.models:,} models x {args.versions_per_model} versions ...")
            services = open_services(Settings(home=home))
            populate(services, args.models, args.versions_per_model)
            services.close()
            marker.write_text(f"{args.models} {args.versions_per_model}\n")
        if args.explain:
            services = open_services(Settings(home=home))
            explain(services)
            services.close()
        with running_server(home) as url, httpx.Client(base_url=url, timeout=60) as client:
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"\n{os.cpu_count()} CPUs, load average {load}; {args.rounds} requests per page")
            print(f"{'page':<34} {'p50 ms':>8} {'p99 ms':>8} {'x healthz':>10}  budget")
            baseline = None
            for label, path in pages(args.models, args.versions_per_model).items():
                times = measure(client, path, args.rounds)
                p50, p99 = statistics.median(times), percentile(times, 0.99)
                baseline = baseline or p50
                verdict = "ok" if p99 <= BUDGET_MS else "SLOW"
                print(f"{label:<34} {p50:>8.1f} {p99:>8.1f} {p50 / baseline:>10.1f}  {verdict}")
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"load average afterwards {load}")
    finally:
        if not args.keep and args.home is None:
            shutil.rmtree(home.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
