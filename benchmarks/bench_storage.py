"""Storage benchmark (issue 5): push and pull through a real server, on a local folder and S3.

    python benchmarks/bench_storage.py [--size 1GiB] [--small-size 256MiB] [--json F]

What it does, in order (docs/benchmarks.md, "Storage (issue 5)", records the figures):

1. Writes one file of ``--size`` random bytes (incompressible, like trained weights) and times
   ``cp`` to the same disk (to the page cache, and with ``sync`` of the copy), sha256 and
   BLAKE3 of it: the physical references of this run.
2. Starts one ``moto_server`` on 127.0.0.1 (tests/s3server.py). moto keeps every object in the
   server's memory, so its figures are those of an in-memory store behind HTTP, not of a disk.
3. For each storage mode and push mode, starts a fresh ``modelreg server`` process (fresh home,
   SQLite; fresh bucket for S3), pushes the file with the SDK over HTTP, pulls it back (the SDK
   verifies the digest) and reads the server's peak RSS (``VmHWM`` in /proc: the whole life of
   the process, start included). The pull is the SDK's ``Client.pull`` with an empty cache of
   its own: download into the cache, then copy to the destination, both digest-verified.
   Storage modes: ``local`` folder; ``s3-direct`` (default
   S3 settings: clients PUT/GET pre-signed URLs, bytes bypass the server); ``s3-server``
   (``--no-direct-transfers``: every byte goes through the server). Push modes: ``whole``
   (the SDK's chunk sink declines, the path of a registry without chunked pushes: the file goes
   as one blob) and ``chunked`` (the SDK's default for files of 8 MiB and more).
4. Repeats step 3 at ``--small-size`` (default a quarter of ``--size``) to show whether the
   server's peak RSS grows with the file.

Every PUT the SDK sends is counted, split into those sent to the registry and to the object
store, so the output says which path each push really took.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from bench_dedup import WholeBlobs, baselines, parse_size, timed

from modelreg.client.client import Client
from modelreg.hashing import digest_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests/s3server.py
from tests.s3server import MotoServer

MiB = 1 << 20
GiB = 1 << 30
SERVER_TIMEOUT = 90.0
STORAGES = ("local", "s3-direct", "s3-server")
PUSHES = ("whole", "chunked")


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        left = size
        while left:
            piece = min(left, 64 * MiB)
            handle.write(os.urandom(piece))
            left -= piece


def copy_durably(source: Path, target: Path) -> float:
    """MiB/s of ``cp`` followed by ``sync`` of the copy: what a durable write of the file costs
    (plain ``cp`` only reaches the page cache, as a push that is not yet fsynced does)."""

    def copy() -> None:
        subprocess.run(["cp", str(source), str(target)], check=True)
        subprocess.run(["sync", str(target)], check=True)

    seconds = timed(copy)
    target.unlink()
    return source.stat().st_size / MiB / seconds


def status_kib(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmHWM: peak resident set, VmRSS: current)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


@contextmanager
def running_server(
    home: Path, storage: str, moto: MotoServer, log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    exe = shutil.which("modelreg")
    cmd = [exe] if exe else [sys.executable, "-c", "from modelreg.cli.main import main; main()"]
    cmd += ["server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    bucket = None
    if storage != "local":
        bucket = moto.new_bucket()
        env.update(moto.env())
        env["MODELREG_STORAGE_URL"] = f"s3://{bucket}/bench"
        if storage == "s3-server":
            cmd.append("--no-direct-transfers")
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, url, log)
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if bucket is not None:
            drop_bucket(moto, bucket)


def drop_bucket(moto: MotoServer, bucket: str) -> None:
    """Empty and delete ``bucket``: moto holds every object in memory, a GiB per case."""
    s3 = moto.client()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=entry["Key"])
    s3.delete_bucket(Bucket=bucket)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {SERVER_TIMEOUT}s; see {log}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PutCounter:
    """PUT requests the SDK sends, by destination: the registry or the object store."""

    def __init__(self, registry: str) -> None:
        self.registry = httpx.URL(registry).port
        self.to_registry = self.to_store = 0

    def __call__(self, request: httpx.Request) -> None:
        if request.method != "PUT":
            return
        if request.url.port == self.registry:
            self.to_registry += 1
        else:
            self.to_store += 1


def hook(client: Client, counter: PutCounter) -> None:
    transport: Any = client.transport
    transport.http.event_hooks["request"].append(counter)
    storage_client: Callable[[], httpx.Client] = transport.direct.storage_client
    storage_client().event_hooks["request"].append(counter)


def run_case(root: Path, model: Path, storage: str, push: str, moto: MotoServer) -> dict[str, Any]:
    size = model.stat().st_size
    case = root / f"{storage}-{push}-{size}"
    case.mkdir()
    with running_server(case / "home", storage, moto, case / "server.log") as (proc, url):
        # A cache of its own: the file is the same in every case, and a pull that finds the
        # blob in a shared cache would transfer nothing.
        client = Client(url, cache_dir=case / "cache")
        counter = PutCounter(url)
        hook(client, counter)
        if push == "whole":
            client.transport.chunk_sink = WholeBlobs()  # type: ignore[attr-defined]
        push_s = timed(lambda: client.push("bench", model.parent))
        pull_s = timed(lambda: client.pull("bench/1", case / "pulled"))
        client.close()
        same = digest_file(case / "pulled" / model.name) == digest_file(model)
        peak = status_kib(proc.pid, "VmHWM")
        moto_rss = status_kib(moto.process.pid, "VmRSS")
    shutil.rmtree(case)
    return {
        "storage": storage,
        "push": push,
        "size": size,
        "push_mib_s": size / MiB / push_s,
        "pull_mib_s": size / MiB / pull_s,
        "puts_to_registry": counter.to_registry,
        "puts_to_object_store": counter.to_store,
        "server_peak_rss_mib": peak / 1024,
        "moto_rss_mib": moto_rss / 1024,
        "pulled_identical": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=parse_size, default=GiB)
    parser.add_argument("--small-size", type=parse_size, help="second size for RSS (default /4)")
    parser.add_argument(
        "--storages", default=",".join(STORAGES), help=f"comma-separated subset of {STORAGES}"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    sizes = [args.size, args.small_size or args.size // 4]
    storages = args.storages.split(",")
    if unknown := set(storages) - set(STORAGES):
        parser.error(f"unknown storage {sorted(unknown)}; choose from {STORAGES}")

    root = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    moto = MotoServer.start()
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"{started}, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    print("moto_server keeps objects in memory: S3 figures are an in-memory store over HTTP")
    results: dict[str, Any] = {"started": started, "machine": platform.platform(), "runs": []}
    try:
        for size in sizes:
            model = root / "model" / "weights.bin"
            model.parent.mkdir(exist_ok=True)
            write_random(model, size)
            base = baselines(model, root)
            base["cp_fsync"] = copy_durably(model, root / "copy.bin")
            results.setdefault("baselines", {})[str(size)] = base
            print(f"\nfile: {size / MiB:.0f} MiB of random bytes")
            for name, value in base.items():
                print(f"  reference {name:24s} {value:8.0f} MiB/s")
            for storage in storages:
                for push in PUSHES:
                    row = run_case(root, model, storage, push, moto)
                    row["load_average"] = os.getloadavg()[0]
                    results["runs"].append(row)
                    print(
                        f"  {storage:9s} {push:7s} push {row['push_mib_s']:6.0f} MiB/s  "
                        f"pull {row['pull_mib_s']:6.0f} MiB/s  PUTs registry/store "
                        f"{row['puts_to_registry']:5d}/{row['puts_to_object_store']:<5d} "
                        f"server peak RSS {row['server_peak_rss_mib']:5.0f} MiB  "
                        f"(moto RSS {row['moto_rss_mib']:5.0f} MiB, load {row['load_average']:.1f})"
                        + ("" if row["pulled_identical"] else "  PULL DIFFERENT")
                    )
            model.unlink()
        results["finished_load_average"] = os.getloadavg()[0]
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        moto.stop()
        moto.log_path.unlink(missing_ok=True)
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
