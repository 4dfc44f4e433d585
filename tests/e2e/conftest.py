"""End-to-end fixtures: real ``modelreg server`` processes on free local ports, the CLI run as a
subprocess, big test files written quickly, and a process's peak memory from ``/proc``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest

from modelreg.domain.digests import Digest
from modelreg.hashing import digest_file
from tests import databases

STARTUP_TIMEOUT = 60.0  # bounded, with room for a loaded machine
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 120.0
MiB = 1024 * 1024

# The console script's entry point, run by the interpreter that runs the tests.
ENTRY = [sys.executable, "-c", "from modelreg.cli.main import main; main()"]
# Inherited values must not point a test at someone else's registry.
_SCRUBBED_ENV = (
    "MODELREG_URL",
    "MODELREG_HOME",
    "MODELREG_DATABASE_URL",
    "MODELREG_STORAGE_URL",
    "MODELREG_CACHE",
    "MODELREG_USER",
    "MODELREG_TOKEN",
    "MODELREG_CONFIG_DIR",
    "MODELREG_AUTH",
)


def clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_bytes(pid: int) -> int:
    """The peak resident set size (``VmHWM``) of a live process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", line
            return int(value) * 1024
    raise AssertionError(f"no VmHWM line in /proc/{pid}/status")


@dataclass
class RunningServer:
    """One ``modelreg server`` process; ``url`` is its base URL."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    home: Path
    log_path: Path
    database_url: str | None = None
    storage_url: str | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def blobs_root(self) -> Path:
        """The folder of committed blobs: ``<storage>/blobs``."""
        storage = Path(self.storage_url) if self.storage_url else self.home / "blobs"
        return storage / "blobs"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown code runs."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it does not exit in time."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


ServerFactory = Callable[..., RunningServer]


def _wait_healthy(running: RunningServer) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if not running.alive():
                return False
            try:
                if http.get(f"{running.url}/healthz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    return False


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Start real server processes: ``server(home=None, database_url=None, storage_url=None)``.

    Each call starts one process on a free port of 127.0.0.1 and returns once ``/healthz``
    answers (at most 30 s). Every process started here is killed at teardown, crashed or not.
    Calling it again with the same ``home`` is a restart on the same data.
    """
    started: list[RunningServer] = []

    def start(
        home: Path | None = None,
        *,
        database_url: str | None = None,
        storage_url: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> RunningServer:
        home = home or tmp_path_factory.mktemp("server-home")
        home.mkdir(parents=True, exist_ok=True)
        logs = tmp_path_factory.mktemp("server-log")
        for attempt in range(3):  # a free port can be taken by someone else before we bind it
            port = free_port()
            command = [*ENTRY, "server", "--host", "127.0.0.1", "--port", str(port)]
            command += ["--home", str(home)]
            if database_url:
                command += ["--database-url", database_url]
            if storage_url:
                command += ["--storage-url", storage_url]
            command += list(extra_args)  # e.g. --auth
            log_path = logs / f"server-{port}-{attempt}.log"
            log = log_path.open("wb")
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=clean_env(), cwd=home
            )
            running = RunningServer(
                url=f"http://127.0.0.1:{port}",
                port=port,
                process=process,
                home=home,
                log_path=log_path,
                database_url=database_url,
                storage_url=storage_url,
                _log=log,
            )
            started.append(running)
            if _wait_healthy(running):
                return running
            running.stop()
            if "address already in use" not in running.log_text().lower():
                break
        pytest.fail(
            f"modelreg server did not become healthy within {STARTUP_TIMEOUT:.0f} s; "
            f"its output:\n{running.log_text()[-4000:]}"
        )

    yield start
    for running in reversed(started):
        running.stop()


# -- the CLI -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CliResult:
    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> CliResult:
        assert self.returncode == 0, (
            f"modelreg {' '.join(self.args)} exited {self.returncode}\n"
            f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        )
        return self


def run_cli(
    *args: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> CliResult:
    """Run ``modelreg ARGS...`` in a fresh process (no terminal, so no progress bars)."""
    text_args = [os.fspath(a) for a in args]
    completed = subprocess.run(
        [*ENTRY, *text_args],
        capture_output=True,
        text=True,
        env=env if env is not None else clean_env(),
        cwd=cwd,
        timeout=CLI_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(text_args, completed.returncode, completed.stdout, completed.stderr)


# -- files ---------------------------------------------------------------------------------------


def write_incompressible_file(path: Path, size: int) -> None:
    """``size`` bytes quickly: one random MiB repeated, each copy stamped with its own 8-byte
    counter so no two MiB are alike and the content does not compress or deduplicate."""
    block = bytearray(os.urandom(MiB))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        written = 0
        counter = 0
        while written < size:
            block[:8] = counter.to_bytes(8, "little")
            piece = memoryview(block)[: min(MiB, size - written)]
            handle.write(piece)
            written += len(piece)
            counter += 1


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its ``/``-separated relative path (small trees only)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def verified_blobs(blobs_root: Path) -> list[Digest]:
    """Every committed blob under ``blobs_root`` (``<algorithm>/<xx>/<hex>``), each checked to
    hash to its own name; any stray or corrupt file fails the test."""
    found = []
    for path in sorted(blobs_root.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(blobs_root).parts
        assert len(parts) == 3, f"unexpected file in the blob store: {path}"
        algorithm, fanout, name = parts
        expected = Digest(algorithm, name)
        assert fanout == name[:2], f"blob {path} is in the wrong folder"
        actual, _ = digest_file(path, algorithm)
        assert actual == expected, f"corrupt blob {path}: its content hashes to {actual}"
        found.append(expected)
    return found


# -- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, migrated to head, dropped afterwards. Skips locally when the
    server is unreachable and fails under CI (``tests.databases``)."""
    name = f"modelreg_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgres_database(name)
    yield url
    databases.drop_postgres_database(name)
