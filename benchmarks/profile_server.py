"""Profile the ``modelreg server`` process with py-spy while the SDK drives one workload.

    pip install py-spy   # a tool for you, not a project dependency
    python benchmarks/profile_server.py --scenario alias [--versions 100000] [--n 2000]

Scenarios: ``alias`` (resolve m@production), ``create`` (sequential small pushes), ``search``
(first page of ``metrics.auc > 0.5 ORDER BY metrics.auc DESC``), ``search1000`` (a 1,000-row
page), ``push`` / ``pull`` (one file of --mib MiB). The registry is populated in-process the same
way ``bench_foundation.py`` does it. Prints the hottest functions by self and by inclusive
samples (only threads that were running; idle threads are not sampled), and writes the
collapsed stacks (flamegraph.pl / speedscope input) to --out.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_foundation as bench

# Leaf frames of threads that wait rather than work: worker threads parked on their queue.
IDLE_LEAVES = ("Condition.wait (threading.py)", "Queue.get (queue.py)")


def summarise(collapsed: Path, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = idle = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        if _short(frames[-1]) in IDLE_LEAVES:
            idle += count
            continue
        total += count
        own[_short(frames[-1])] += count
        for name in {_short(f) for f in frames}:
            inclusive[name] += count
    lines = [
        f"{total} busy samples ({idle} idle worker-thread samples dropped); 'Runner.run' as a "
        "leaf is uvloop's native loop: socket I/O, HTTP parsing and epoll waits"
    ]
    lines.append("\n-- self (leaf frame) --")
    lines += [f"{c / total:6.1%}  {name}" for name, c in own.most_common(top)]
    lines.append("\n-- inclusive --")
    lines += [f"{c / total:6.1%}  {name}" for name, c in inclusive.most_common(top * 2)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/file.py:123)"; drop the line number so a
    # function's samples add up, and shorten site-packages paths.
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        choices=["alias", "create", "search", "search1000", "push", "pull"],
        required=True,
    )
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=500, help="operations to run while sampling")
    parser.add_argument("--mib", type=int, default=1024, help="file size for push/pull")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=Path("profile.collapsed"))
    args = parser.parse_args()

    from modelreg import Client

    pyspy = shutil.which("py-spy")
    if not pyspy:
        parser.error("py-spy is not installed (pip install py-spy)")
    work = Path(tempfile.mkdtemp(prefix="modelreg-profile-"))
    server = bench.Server(work / "home", work / "server.log")
    try:
        population = bench.populate(work / "home", args.versions, "bulk")
        server.start()
        client = Client(server.url, cache_dir=work / "cache")
        client.set_alias("m", "production", population["alias_version"])
        big = work / "big.bin"
        operation = None
        if args.scenario == "alias":

            def operation() -> None:
                client.resolve(bench.ALIAS_REF)

        elif args.scenario in {"search", "search1000"}:
            limit = 100 if args.scenario == "search" else 1000

            def operation() -> None:
                client.transport.search_versions(bench.SEARCH_FILTER, cursor=None, limit=limit)

        elif args.scenario == "create":
            files = iter(bench.make_small_files(work / "small", args.n + 3, "p"))
            counter = iter(range(10**9))

            def operation() -> None:
                bench.push_small(client, "prof", next(files), next(counter))

        else:
            bench.generate_file(big, args.mib, salt=7)
            args.n = 1
            if args.scenario == "pull":
                pushed = client.push("big", big)

                def operation() -> None:
                    dest = work / "dest"
                    puller = Client(server.url, cache_dir=work / "pull-cache")
                    puller.pull(pushed.ref, dest)
                    shutil.rmtree(dest)
                    shutil.rmtree(work / "pull-cache")

            else:

                def operation() -> None:
                    client.push("big", big)

        for _ in range(3 if args.scenario not in {"push", "pull"} else 0):
            operation()
        spy = subprocess.Popen(
            [
                pyspy,
                "record",
                "--pid",
                str(server.pid),
                "--rate",
                str(args.rate),
                "--format",
                "raw",
                "--output",
                str(args.out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        cpu0 = bench.proc_cpu_seconds(server.pid)
        started = time.perf_counter()
        for _ in range(args.n):
            operation()
        wall = time.perf_counter() - started
        cpu = bench.proc_cpu_seconds(server.pid) - cpu0
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        print(
            f"{args.scenario}: {args.n} ops, {wall / args.n * 1e3:.2f} ms wall/op, "
            f"server CPU {cpu / args.n * 1e3:.2f} ms/op, load {bench.loadavg()}"
        )
        print(summarise(args.out, args.top))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
