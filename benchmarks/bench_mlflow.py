"""The same MLflow-client workload against modelreg and against a real ``mlflow server``.

    python benchmarks/bench_mlflow.py [--quick] [--versions N] [--transfer-mib N] [--json out.json]

Targets, each started on a free 127.0.0.1 port and stopped before the next one starts:

* ``modelreg``: ``modelreg server`` (SQLite, local blob store);
* ``modelreg-pg``: the same server on PostgreSQL (a fresh database on the server of
  ``--postgres-url``, 127.0.0.1:5432 by default, dropped afterwards), not in the default
  targets;
* ``mlflow``: ``mlflow server`` as shipped (SQLite backend, ``--serve-artifacts``, default
  workers);
* ``mlflow-w1``: the same with ``--workers 1`` (on the same database and artifacts, so it is
  not populated twice);
* ``floor``: ``canned_server.py``, answering each metadata call with the bytes modelreg sent for
  it, prepared in advance, dropping the upload and streaming the download from the file: the
  client's own cost plus local HTTP, the least any server can take (needs ``modelreg`` earlier
  in ``--targets``).

Workload, all through ``MlflowClient`` (the unmodified client, HTTP retries off):

1. create-version throughput: N sequential ``create_model_version`` calls from a ``runs:/`` source;
2. populate a model to ``--versions`` versions (10,000; 1,000 with --quick) with 8 client
   threads, then search latency (``search_model_versions`` of one page of 100 by name, and
   ``search_registered_models``);
3. alias lookup latency (``get_model_version_by_alias``);
4. artifact upload (``log_artifact``) and download (``download_artifacts``) of one file of
   ``--transfer-mib`` MiB (1 GiB; 256 MiB with --quick), in MB/s, each after writing and
   deleting as many bytes in the scratch folder (``touch_memory``; its rate is printed);
5. the server's peak memory: the sum of VmHWM over its process tree.

Latencies are medians (p50) and p90 of repeated calls. Figures go to stdout (and --json).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient

MiB = 1 << 20
CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "600",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    database_url: str | None = None  # modelreg-pg: its PostgreSQL database

    def tree(self) -> list[int]:
        """The server's process and its descendants (uvicorn workers, job runners)."""
        found = [self.process.pid]
        for pid in found:
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                found.extend(int(c) for c in children.read_text().split())
        return found

    def peak_rss(self) -> int:
        total = 0
        for pid in self.tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
            except FileNotFoundError:
                continue
        return total

    def stop(self) -> None:
        with_group = os.getpgid(self.process.pid) == self.process.pid
        if with_group:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.kill()
        self.process.wait(timeout=30)


def start(name: str, command: list[str], health: str, log: Path, env: dict[str, str]) -> Server:
    process = subprocess.Popen(
        command,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    url = command[command.index("--port") + 1]
    url = f"http://127.0.0.1:{url}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}{health}", timeout=2).status_code == 200:
                return Server(name, url, process)
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    process.kill()
    raise SystemExit(f"{name} did not start within 300 s")


def modelreg_server(root: Path, database_url: str | None = None) -> Server:
    port = free_port()
    name = "modelreg" if database_url is None else "modelreg-pg"
    command = [sys.executable, "-c", "from modelreg.cli.main import main; main()", "server"]
    command += ["--port", str(port), "--home", str(root / name)]
    env = {} if database_url is None else {"MODELREG_DATABASE_URL": database_url}
    server = start(name, command, "/healthz", root / f"{name}.log", env)
    server.database_url = database_url
    return server


def analyze(database_url: str) -> None:
    """What PostgreSQL's autovacuum does within a minute or so of a bulk load: gather the
    statistics the planner needs. Without them, the first minute after populating 10,000
    versions is measured instead of a running registry (docs/mlflow.md, "Benchmark")."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


BENCH_DATABASE = f"bench_mlflow_{os.getpid()}"


def fresh_postgres_database(admin_url: str) -> str:
    """An empty database for the ``modelreg-pg`` target (the server migrates it at start)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    return make_url(admin_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def mlflow_server(root: Path, *, workers: int | None) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server"]
    command += ["--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}"]
    command += ["--artifacts-destination", str(root / "mlflow-artifacts"), "--serve-artifacts"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    name = "mlflow" if workers is None else f"mlflow-w{workers}"
    return start(name, command, "/health", root / f"{name}.log", CLIENT_ENV)


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p90_ms": samples[int(len(samples) * 0.9) - 1],
    }


@dataclass
class Results:
    target: str
    figures: dict[str, Any] = field(default_factory=dict)


def workload(server: Server, scratch: Path, args: argparse.Namespace, populate: bool) -> Results:
    mlflow.set_tracking_uri(server.url)
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    results = Results(server.name)
    tag = server.name.replace("-", "")
    run = client.create_run(client.create_experiment(f"bench-{tag}-{time.time_ns()}"))
    small = scratch / "weights.bin"
    small.write_bytes(os.urandom(4096))
    client.log_artifact(run.info.run_id, str(small), "model")
    source = f"runs:/{run.info.run_id}/model"

    model = f"create-{tag}"
    client.create_registered_model(model)
    began = time.perf_counter()
    for _ in range(args.creates):
        client.create_model_version(model, source, run.info.run_id)
    elapsed = time.perf_counter() - began
    results.figures["create_version_per_s"] = args.creates / elapsed
    results.figures["create_version_ms"] = elapsed / args.creates * 1000

    search_model = "search-target"
    if populate:
        client.create_registered_model(search_model)
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda _: client.create_model_version(search_model, source, run.info.run_id),
                    range(args.versions),
                )
            )
        client.set_registered_model_alias(search_model, "champion", "1")
        if server.database_url is not None:
            analyze(server.database_url)
    filter_string = f"name = '{search_model}'"
    results.figures["search_versions_100"] = timed(
        lambda: client.search_model_versions(filter_string, max_results=100), args.repeat
    )
    results.figures["search_models"] = timed(
        lambda: client.search_registered_models(max_results=100), args.repeat
    )
    results.figures["alias_lookup"] = timed(
        lambda: client.get_model_version_by_alias(search_model, "champion"), args.repeat
    )
    big = scratch / "big.bin"
    if not big.exists():
        with big.open("wb") as handle:
            block = os.urandom(MiB)
            for i in range(args.transfer_mib):
                handle.write(i.to_bytes(8, "little") + block[8:])
    size = big.stat().st_size
    results.figures["page_cache_write_MBps"] = touch_memory(scratch, size)
    began = time.perf_counter()
    client.log_artifact(run.info.run_id, str(big), "big")
    results.figures["upload_MBps"] = size / MiB / (time.perf_counter() - began)
    target = scratch / f"down-{tag}"
    target.mkdir()
    touch_memory(scratch, size)
    began = time.perf_counter()
    path = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="big/big.bin", dst_path=str(target)
    )
    results.figures["download_MBps"] = size / MiB / (time.perf_counter() - began)
    assert Path(path).stat().st_size == size
    shutil.rmtree(target)
    results.figures["peak_rss_MiB"] = server.peak_rss() / MiB
    if server.name == "modelreg":
        capture_answers(server.url, model, search_model, run, scratch / "answers.json")
    return results


def touch_memory(scratch: Path, size: int) -> float:
    """Write and delete ``size`` bytes in ``scratch``; returns the rate (MB/s).

    The first write of a GiB into memory this machine has not used yet runs at a fraction of
    later ones, and the MLflow client writes each download into the page cache: without this,
    whichever server is measured first meets cold memory. The rate is the physical reference
    printed beside the transfers."""
    spare = scratch / "touch.bin"
    block = b"\0" * MiB
    began = time.perf_counter()
    with spare.open("wb") as handle:
        for _ in range(size // MiB):
            handle.write(block)
    elapsed = time.perf_counter() - began
    spare.unlink()
    return size / MiB / elapsed


def capture_answers(url: str, created: str, searched: str, run: Any, out: Path) -> None:
    """The bodies modelreg answered to the workload's calls, for ``canned_server``: metadata,
    and the calls around a transfer (the run, server-info, the listing of the file)."""
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    calls = {
        "/api/2.0/mlflow/registered-models/alias": {"name": searched, "alias": "champion"},
        "/api/2.0/mlflow/model-versions/search": {
            "filter": f"name = '{searched}'",
            "max_results": 100,
        },
        "/api/2.0/mlflow/registered-models/search": {"max_results": 100},
        "/api/2.0/mlflow/model-versions/get": {"name": created, "version": "1"},
        "/api/2.0/mlflow/runs/get": {"run_id": run.info.run_id},
        "/api/3.0/mlflow/server-info": {},
        "/api/2.0/mlflow-artifacts/artifacts": {"path": f"{root}/big/big.bin"},
    }
    answers = {}
    for path, params in calls.items():
        response = httpx.get(f"{url}{path}", params=params, timeout=60)
        response.raise_for_status()
        answers[path] = response.text
    # A new version is answered in the same shape as a read of one.
    answers["/api/2.0/mlflow/model-versions/create"] = answers["/api/2.0/mlflow/model-versions/get"]
    out.write_text(json.dumps(answers))


def floor_server(root: Path, answers: Path, big: Path) -> Server:
    port = free_port()
    script = Path(__file__).resolve().parent / "canned_server.py"
    command = [sys.executable, str(script), "--port", str(port), "--answers", str(answers)]
    command += ["--file", str(big)]
    return start("floor", command, "/health", root / "floor.log", {})


def floor_workload(server: Server, scratch: Path, args: argparse.Namespace) -> Results:
    """``workload`` against canned answers: the same metadata calls, and the same transfers of
    the same file (the upload dropped, the download streamed from the file)."""
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    results = Results(server.name)
    source = "runs:/0123456789abcdef0123456789abcdef/model"
    began = time.perf_counter()
    for _ in range(args.creates):
        client.create_model_version("create-modelreg", source)
    elapsed = time.perf_counter() - began
    results.figures["create_version_per_s"] = args.creates / elapsed
    results.figures["create_version_ms"] = elapsed / args.creates * 1000
    filter_string = "name = 'search-target'"
    results.figures["search_versions_100"] = timed(
        lambda: client.search_model_versions(filter_string, max_results=100), args.repeat
    )
    results.figures["search_models"] = timed(
        lambda: client.search_registered_models(max_results=100), args.repeat
    )
    results.figures["alias_lookup"] = timed(
        lambda: client.get_model_version_by_alias("search-target", "champion"), args.repeat
    )
    mlflow.set_tracking_uri(server.url)
    # Any run id gets modelreg's run back; a new one, because the client caches each run's
    # artifact location with the server it first asked.
    run_id = os.urandom(16).hex()
    big = scratch / "big.bin"
    size = big.stat().st_size
    results.figures["page_cache_write_MBps"] = touch_memory(scratch, size)
    began = time.perf_counter()
    client.log_artifact(run_id, str(big), "big")
    results.figures["upload_MBps"] = size / MiB / (time.perf_counter() - began)
    target = scratch / "down-floor"
    target.mkdir()
    touch_memory(scratch, size)
    began = time.perf_counter()
    path = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="big/big.bin", dst_path=str(target)
    )
    results.figures["download_MBps"] = size / MiB / (time.perf_counter() - began)
    assert Path(path).stat().st_size == size
    shutil.rmtree(target)
    return results


def print_table(all_results: list[Results]) -> None:
    rows = [
        ("create version (per s)", lambda f: f"{f['create_version_per_s']:.1f}"),
        ("create version (ms)", lambda f: f"{f['create_version_ms']:.1f}"),
        ("search versions p50 (ms)", lambda f: f"{f['search_versions_100']['p50_ms']:.1f}"),
        ("search models p50 (ms)", lambda f: f"{f['search_models']['p50_ms']:.1f}"),
        ("alias lookup p50 (ms)", lambda f: f"{f['alias_lookup']['p50_ms']:.1f}"),
        ("upload (MB/s)", lambda f: f"{f['upload_MBps']:.0f}"),
        ("download (MB/s)", lambda f: f"{f['download_MBps']:.0f}"),
        ("  page-cache write (MB/s)", lambda f: f"{f['page_cache_write_MBps']:.0f}"),
        ("server peak RSS (MiB)", lambda f: f"{f['peak_rss_MiB']:.0f}"),
    ]
    header = f"{'':28}" + "".join(f"{r.target:>14}" for r in all_results)
    print(header)
    for label, render in rows:
        cells = []
        for result in all_results:
            try:
                cells.append(f"{render(result.figures):>14}")
            except KeyError:  # the floor has no server memory of interest
                cells.append(f"{'-':>14}")
        print(f"{label:28}" + "".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--versions", type=int, default=None)
    parser.add_argument("--transfer-mib", type=int, default=None)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--targets", default="modelreg,floor,mlflow,mlflow-w1")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    args.versions = args.versions or (1_000 if args.quick else 10_000)
    args.transfer_mib = args.transfer_mib or (256 if args.quick else 1024)
    os.environ.update(CLIENT_ENV)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    wanted = args.targets.split(",")
    all_results = []
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as temp:
        root = Path(temp)
        scratch = root / "scratch"
        scratch.mkdir()
        mlflow_populated = False
        for target in wanted:
            if target == "floor":
                server = floor_server(root, scratch / "answers.json", scratch / "big.bin")
                try:
                    print(f"floor: canned answers at {server.url} ...", file=sys.stderr)
                    all_results.append(floor_workload(server, scratch, args))
                finally:
                    server.stop()
                continue
            if target == "modelreg":
                server = modelreg_server(root)
                populate = True
            elif target == "modelreg-pg":
                server = modelreg_server(root, fresh_postgres_database(args.postgres_url))
                populate = True
            else:
                workers = 1 if target == "mlflow-w1" else None
                server = mlflow_server(root, workers=workers)
                populate = not mlflow_populated
                mlflow_populated = True
            try:
                print(f"{target}: running the workload at {server.url} ...", file=sys.stderr)
                all_results.append(workload(server, scratch, args, populate))
            finally:
                server.stop()
                if target == "modelreg-pg":
                    drop_postgres_database(args.postgres_url)
    print_table(all_results)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in all_results], indent=2))


if __name__ == "__main__":
    main()
