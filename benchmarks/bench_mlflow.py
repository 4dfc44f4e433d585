"""The same MLflow-client workload against modelreg and against a real ``mlflow server``.

    python benchmarks/bench_mlflow.py [--quick] [--versions N] [--transfer-mib N] [--json out.json]

Targets, each started on a free 127.0.0.1 port:

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
   deleting as many bytes in the scratch folder (``touch_memory``; its rate is printed), and
   writing them again with ``fsync`` (``durable_write``: what a server that makes an upload
   durable before answering, as modelreg does, cannot beat);
5. the server's peak memory: the sum of VmHWM over its process tree.

Latencies are medians (p50) and p90 of repeated calls. Figures go to stdout (and --json), then
modelreg's ratio to each mlflow target beside the floor's (the most any server could reach) and
the issue's target, and, for interleaved runs, the ratios round by round (lowest, median,
highest); ``mlflow_report.py`` prints a saved run's JSON the same way.

By default every target is up at once and the metadata calls (1-3) run in ``--rounds`` rounds
across them, each target making its share of each call in every round, in a rotating order
(``mlflow_workload.py``): on a machine whose speed drifts during a run, each target meets the
same drift. The transfers (4) then run one target at a time. ``--sequential`` measures one
target after another, each started and stopped in turn, as the runs before 2026-11-28e did.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from mlflow_report import report
from mlflow_workload import (
    SEARCH_MODEL,
    MiB,
    Results,
    Target,
    measure_metadata,
    measure_transfers,
    prepare,
    prepare_floor,
    write_big_file,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
    populate: bool = True  # mlflow-w1 shares mlflow's database, populated once

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


def capture_answers(url: str, searched: str, run: Any, scratch: Path) -> None:
    """The bodies modelreg answered to the workload's calls, for ``canned_server``: metadata,
    and the calls around a transfer (the run, server-info, and the listing of the file once it
    was uploaded)."""
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    calls = {
        "/api/2.0/mlflow/registered-models/alias": {"name": searched, "alias": "champion"},
        "/api/2.0/mlflow/model-versions/search": {
            "filter": f"name = '{searched}'",
            "max_results": 100,
        },
        "/api/2.0/mlflow/registered-models/search": {"max_results": 100},
        "/api/2.0/mlflow/model-versions/get": {"name": searched, "version": "1"},
        "/api/2.0/mlflow/runs/get": {"run_id": run.info.run_id},
        "/api/3.0/mlflow/server-info": {},
        "/api/2.0/mlflow-artifacts/artifacts": {"path": f"{root}/big/big.bin"},
    }
    answers = {}
    for path, params in calls.items():
        response = httpx.get(f"{url}{path}", params=params, timeout=60)
        if response.status_code == 404 and path.startswith("/api/2.0/mlflow-artifacts/"):
            continue  # not uploaded yet
        response.raise_for_status()
        answers[path] = response.text
    # A new version is answered in the same shape as a read of one.
    answers["/api/2.0/mlflow/model-versions/create"] = answers["/api/2.0/mlflow/model-versions/get"]
    (scratch / "answers.json").write_text(json.dumps(answers))


def floor_server(root: Path, answers: Path, big: Path) -> Server:
    port = free_port()
    script = Path(__file__).resolve().parent / "canned_server.py"
    command = [sys.executable, str(script), "--port", str(port), "--answers", str(answers)]
    command += ["--file", str(big)]
    return start("floor", command, "/health", root / "floor.log", {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--versions", type=int, default=None)
    parser.add_argument("--transfer-mib", type=int, default=None)
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--targets", default="modelreg,floor,mlflow,mlflow-w1")
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="one target after another (the runs before session 15) instead of interleaved",
    )
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds")
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
    if "floor" in wanted and ("modelreg" not in wanted or wanted.index("floor") == 0):
        parser.error("the floor answers with modelreg's bytes: list modelreg before it")
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as temp:
        root = Path(temp)
        scratch = root / "scratch"
        scratch.mkdir()
        write_big_file(scratch / "big.bin", args.transfer_mib)
        run = sequential if args.sequential else interleaved
        all_results = run(wanted, root, scratch, args)
    report(all_results)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in all_results], indent=2))


def start_target(name: str, root: Path, args: argparse.Namespace, state: dict[str, Any]) -> Server:
    if name == "floor":
        return floor_server(root, root / "scratch" / "answers.json", root / "scratch" / "big.bin")
    if name == "modelreg":
        return modelreg_server(root)
    if name == "modelreg-pg":
        return modelreg_server(root, fresh_postgres_database(args.postgres_url))
    server = mlflow_server(root, workers=1 if name == "mlflow-w1" else None)
    # mlflow and mlflow-w1 share one database and artifact root: populated once.
    server.populate = not state.get("mlflow_populated", False)
    state["mlflow_populated"] = True
    return server


def prepare_target(server: Server, scratch: Path, args: argparse.Namespace) -> Target:
    if server.name == "floor":
        return prepare_floor(server)
    target = prepare(server, scratch, args, populate=server.populate)
    if server.database_url is not None:
        analyze(server.database_url)
    if server.name == "modelreg":
        capture_answers(server.url, SEARCH_MODEL, target.run, scratch)
    return target


def stop_target(server: Server, args: argparse.Namespace) -> None:
    server.stop()
    if server.name == "modelreg-pg":
        drop_postgres_database(args.postgres_url)


def sequential(
    wanted: list[str], root: Path, scratch: Path, args: argparse.Namespace
) -> list[Results]:
    """Each target started, measured and stopped before the next one starts."""
    all_results, state = [], {}
    for name in wanted:
        server = start_target(name, root, args, state)
        try:
            print(f"{name}: running the workload at {server.url} ...", file=sys.stderr)
            target = prepare_target(server, scratch, args)
            results = Results(name, measure_metadata([target], args, rounds=1)[name])
            results.figures.update(measure_transfers(target, scratch, scratch / "big.bin"))
            if name == "modelreg":  # the floor lists the file as modelreg did
                capture_answers(server.url, SEARCH_MODEL, target.run, scratch)
            if name != "floor":
                results.figures["peak_rss_MiB"] = server.peak_rss() / MiB
            all_results.append(results)
        finally:
            stop_target(server, args)
    return all_results


def interleaved(
    wanted: list[str], root: Path, scratch: Path, args: argparse.Namespace
) -> list[Results]:
    """Every target up at once; the metadata calls in rounds across them, then the transfers
    one target at a time (each has the machine to itself)."""
    servers: list[Server] = []
    state: dict[str, Any] = {}
    try:
        targets = []
        for name in wanted:
            print(f"{name}: starting and preparing ...", file=sys.stderr)
            server = start_target(name, root, args, state)
            servers.append(server)
            targets.append(prepare_target(server, scratch, args))
        print(f"metadata calls in {args.rounds} rounds across all targets ...", file=sys.stderr)
        figures = measure_metadata(targets, args, rounds=args.rounds)
        all_results = [Results(name, figures[name]) for name in wanted]
        for number, (server, target) in enumerate(zip(servers, targets, strict=True)):
            print(f"{server.name}: transfers ...", file=sys.stderr)
            if server.name == "floor":
                # Restarted with modelreg's listing of the file it now holds.
                server.stop()
                server = servers[number] = start_target("floor", root, args, state)
                target = prepare_floor(server)
            all_results[number].figures.update(
                measure_transfers(target, scratch, scratch / "big.bin")
            )
            if server.name == "modelreg":
                capture_answers(server.url, SEARCH_MODEL, target.run, scratch)
        for server, results in zip(servers, all_results, strict=True):
            if server.name != "floor":
                results.figures["peak_rss_MiB"] = server.peak_rss() / MiB
        return all_results
    finally:
        for server in servers:
            stop_target(server, args)


if __name__ == "__main__":
    main()
