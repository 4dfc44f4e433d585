"""Model-file scanning cost, next to sha256 of the same bytes.

    python benchmarks/bench_scan.py [--size-mib 512]

Writes, in a temporary folder: random weights (``weights.bin``), a safetensors file, a
protocol-4 pickle of a float32 array (the legacy way to save a model), a PyTorch-style zip
(``archive/data.pkl`` + ``archive/data/0``) and a joblib dump of the same array, each about
``--size-mib`` MiB. For each it times the scanner the registry runs at commit (the head check,
or the full scan when the head is not enough) and sha256 of the whole file, and prints the
verdict and the peak Python allocation (tracemalloc) of the scan.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import struct
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import joblib
import numpy as np

from modelreg.domain.scans import worst
from modelreg.scanning.formats import HEAD_SIZE
from modelreg.scanning.port import FileReport
from modelreg.scanning.scanner import ModelFileScanner

CHUNK = 1024 * 1024


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def files(folder: Path, size: int) -> dict[str, Path]:
    array = np.random.default_rng(0).random(size // 4, dtype=np.float32)
    made: dict[str, Path] = {}
    made["weights.bin"] = folder / "weights.bin"
    with made["weights.bin"].open("wb") as out:
        for _ in range(size // CHUNK):
            out.write(os.urandom(CHUNK))
    header = json.dumps(
        {"w": {"dtype": "F32", "shape": [array.size], "data_offsets": [0, array.nbytes]}}
    ).encode()
    made["model.safetensors"] = folder / "model.safetensors"
    with made["model.safetensors"].open("wb") as out:
        out.write(struct.pack("<Q", len(header)) + header)
        out.write(array.tobytes())
    made["model.pkl"] = folder / "model.pkl"
    with made["model.pkl"].open("wb") as out:
        pickle.dump({"w": array}, out, protocol=4)
    made["model.pt"] = folder / "model.pt"
    with zipfile.ZipFile(made["model.pt"], "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": "storage 0"}, protocol=2))
        archive.writestr("archive/data/0", array.tobytes())
    made["model.joblib"] = folder / "model.joblib"
    joblib.dump({"w": array}, made["model.joblib"])
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=512)
    options = parser.parse_args()
    scanner = ModelFileScanner()
    print(f"engines: {dict(scanner.engines)}")
    with tempfile.TemporaryDirectory() as work:
        made = files(Path(work), options.size_mib * CHUNK)
        print(
            f"{'file':20} {'MiB':>6} {'format':12} {'verdict':8} {'scan s':>7} "
            f"{'sha256 s':>8} {'peak MiB':>8}"
        )
        for name, path in made.items():
            size = path.stat().st_size

            def scan(path: Path = path, name: str = name) -> FileReport:
                with path.open("rb") as handle:
                    head = handle.read(HEAD_SIZE)
                return scanner.scan_head(head, name) or scanner.scan_file(path, name)

            tracemalloc.start()
            start = time.perf_counter()
            report = scan()
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            start = time.perf_counter()
            sha256(path)
            hashing = time.perf_counter() - start
            verdict = worst(result.verdict for result in report.results)
            print(
                f"{name:20} {size / CHUNK:6.0f} {report.file_format:12} {verdict:8} "
                f"{seconds:7.2f} {hashing:8.2f} {peak / CHUNK:8.1f}"
            )


if __name__ == "__main__":
    main()
