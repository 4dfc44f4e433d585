"""Deduplication benchmark: 10 versions of a safetensors file, each rewriting 5% of its tensors.

    python benchmarks/bench_dedup.py [--size 1GiB] [--versions 10] [--fraction 0.05] [--json F]

What it does, in order (docs/dedup.md records the figures):

1. Writes a safetensors file of ``--size`` bytes (default 1 GiB) laid out like a decoder-only
   transformer in fp16: embeddings, 16 layers of q/k/v/o, gate/up/down and two norms, a final
   norm and an LM head; tensor bytes are random (trained weights do not compress either).
2. Baselines on the same file in the same run: ``cp`` to the same disk, sha256, BLAKE3
   (one thread and AUTO), and the SDK's chunker alone (FastCDC cut + a BLAKE3 per chunk).
3. Starts ``modelreg server`` on a free 127.0.0.1 port over a fresh home (SQLite, local folder)
   and pushes ``--versions`` versions with the SDK over HTTP. Before each push after the first
   it rewrites randomly chosen tensors in place until ``--fraction`` of the tensor bytes are
   new (a fine-tuning step that touches some tensors). Bytes on the wire are counted from the
   PUT requests the SDK sends (an httpx event hook); stored bytes are the files under the
   storage folder (whole blobs + chunks + recipes).
4. Pulls the last version and compares its digest with the file (the SDK verifies it too).
5. Chunk-size sweep (client side only): how many bytes of version 2 are new chunks for other
   average chunk sizes, and how long the chunk lists get.

Prints a table and checks the targets: stored <= 1.6 x logical size of one version (for 10
versions), each push after the first sends <= 15% of the file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import blake3
import httpx

from modelreg.client.chunking import cut_file
from modelreg.client.client import Client
from modelreg.domain.chunking import DEFAULT_CHUNKER, ChunkerParams
from modelreg.hashing import digest_file

MiB = 1 << 20
GiB = 1 << 30
LAYERS = 16
VOCAB = 32_000
SERVER_TIMEOUT = 90.0


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(B|KiB|MiB|GiB)?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: e.g. 64MiB, 1GiB")
    unit = {"B": 1, None: 1, "KiB": 1 << 10, "MiB": MiB, "GiB": GiB}[match.group(2)]
    return int(match.group(1)) * unit


# -- the safetensors file --------------------------------------------------------------------


def transformer_shapes(size: int) -> list[tuple[str, tuple[int, ...]]]:
    """Tensor names and shapes of a model of about ``size`` bytes in fp16."""
    hidden = 64
    while _param_bytes(hidden + 64) <= size:
        hidden += 64
    shapes: list[tuple[str, tuple[int, ...]]] = [("model.embed_tokens.weight", (VOCAB, hidden))]
    for layer in range(LAYERS):
        prefix = f"model.layers.{layer}"
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            shapes.append((f"{prefix}.self_attn.{name}.weight", (hidden, hidden)))
        shapes.append((f"{prefix}.mlp.gate_proj.weight", (4 * hidden, hidden)))
        shapes.append((f"{prefix}.mlp.up_proj.weight", (4 * hidden, hidden)))
        shapes.append((f"{prefix}.mlp.down_proj.weight", (hidden, 4 * hidden)))
        shapes.append((f"{prefix}.input_layernorm.weight", (hidden,)))
        shapes.append((f"{prefix}.post_attention_layernorm.weight", (hidden,)))
    shapes.append(("model.norm.weight", (hidden,)))
    # The vocabulary takes up what the layers leave, so the file comes out close to ``size``.
    vocab = max(VOCAB, (size - _param_bytes(hidden) + 4 * VOCAB * hidden) // (4 * hidden))
    shapes[0] = ("model.embed_tokens.weight", (vocab, hidden))
    shapes.append(("lm_head.weight", (vocab, hidden)))
    return shapes


def _param_bytes(hidden: int) -> int:
    per_layer = 4 * hidden * hidden + 12 * hidden * hidden + 2 * hidden
    return 2 * (LAYERS * per_layer + 2 * VOCAB * hidden + hidden)


def write_safetensors(
    path: Path, shapes: list[tuple[str, tuple[int, ...]]]
) -> list[tuple[str, int, int]]:
    """Write the file; answers (name, absolute offset, length) of every tensor's bytes."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in shapes:
        length = 2
        for dim in shape:
            length *= dim
        header[name] = {
            "dtype": "F16",
            "shape": list(shape),
            "data_offsets": [offset, offset + length],
        }
        offset += length
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the format aligns the data to 8 bytes
    start = 8 + len(encoded)
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        left = offset
        while left:
            piece = min(left, 64 * MiB)
            handle.write(os.urandom(piece))
            left -= piece
    return [
        (
            name,
            start + header[name]["data_offsets"][0],
            header[name]["data_offsets"][1] - header[name]["data_offsets"][0],
        )
        for name, _ in shapes
    ]


def rewrite_tensors(
    path: Path, tensors: list[tuple[str, int, int]], fraction: float, rng: random.Random
) -> tuple[int, int]:
    """Overwrite tensors in random order until at least ``fraction`` of the tensor bytes are new
    (so a little more, by part of the last tensor): (count, bytes)."""
    total = sum(length for _, _, length in tensors)
    order = list(tensors)
    rng.shuffle(order)
    count = written = 0
    with path.open("r+b") as handle:
        for _name, offset, length in order:
            if written >= fraction * total:
                break
            handle.seek(offset)
            left = length
            while left:
                piece = min(left, 64 * MiB)
                handle.write(os.urandom(piece))
                left -= piece
            count += 1
            written += length
    return count, written


# -- baselines -------------------------------------------------------------------------------


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def baselines(path: Path, scratch: Path) -> dict[str, float]:
    size = path.stat().st_size
    copy = scratch / "copy.bin"

    def cp() -> None:
        subprocess.run(["cp", str(path), str(copy)], check=True)

    def sha256() -> None:
        hasher = hashlib.sha256()  # OpenSSL's, with the CPU's SHA extensions where present
        with path.open("rb") as handle:
            while data := handle.read(MiB):
                hasher.update(data)
        hasher.hexdigest()

    def b3_one() -> None:
        hasher = blake3.blake3(max_threads=1)
        hasher.update_mmap(path)
        hasher.hexdigest()

    def b3_auto() -> None:
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        hasher.update_mmap(path)
        hasher.hexdigest()

    def chunker() -> None:
        cut_file(path)

    actions = {
        "cp": cp,
        "sha256": sha256,
        "blake3_1_thread": b3_one,
        "blake3_auto": b3_auto,
        "chunker_fastcdc_blake3": chunker,
    }
    found = {name: size / MiB / timed(action) for name, action in actions.items()}
    copy.unlink()
    return found


# -- the server ------------------------------------------------------------------------------


def start_server(home: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    exe = shutil.which("modelreg")
    cmd = [exe] if exe else [sys.executable, "-c", "from modelreg.cli.main import main; main()"]
    cmd += ["server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELREG_")}
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server exited early:\n{tail}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not answer within {SERVER_TIMEOUT}s; see {log}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WholeBlobs:
    """A chunk sink that declines: the SDK then sends files whole, as before chunking."""

    parallel = 1

    def params(self) -> None:
        return None


def push_whole(url: str, model: Path) -> float:
    """MiB/s of a push of ``model`` sent whole (to another model: same server, same disk)."""
    with Client(url) as client:
        client.transport.chunk_sink = WholeBlobs()  # type: ignore[attr-defined]
        seconds = timed(lambda: client.push("whole", model))
    return model.stat().st_size / MiB / seconds


class WireCounter:
    """Bytes of the request bodies the SDK PUTs (whole blobs and chunks)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.requests = 0

    def __call__(self, request: httpx.Request) -> None:
        if request.method == "PUT":
            self.bytes += int(request.headers.get("content-length", "0"))
            self.requests += 1


def stored_bytes(storage: Path) -> dict[str, int]:
    """Physical bytes per top-level folder of the storage (blobs, chunks, recipes, uploads)."""
    found: dict[str, int] = {}
    for folder in ("blobs", "chunks", "recipes", "uploads"):
        found[folder] = sum(p.stat().st_size for p in (storage / folder).rglob("*") if p.is_file())
    return found


# -- the chunk-size sweep --------------------------------------------------------------------


def sweep_params(before: Path, after: Path) -> list[dict[str, float]]:
    rows = []
    for avg in (256 * 1024, 512 * 1024, MiB, 2 * MiB, 4 * MiB):
        params = ChunkerParams(min_size=avg // 4, avg_size=avg, max_size=4 * avg)
        old = {chunk.digest for _, chunk in cut_file(before, params)}
        new = cut_file(after, params)
        fresh = {chunk.digest: chunk.size for _, chunk in new if chunk.digest not in old}
        rows.append(
            {
                "avg_kib": avg / 1024,
                "chunks": len(new),
                "mean_kib": after.stat().st_size / len(new) / 1024,
                "new_fraction": sum(fresh.values()) / after.stat().st_size,
                "chunk_list_kib": len(new) * 85 / 1024,
            }
        )
    return rows


# -- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=parse_size, default=GiB)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--fraction", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    rng = random.Random(args.seed)
    proc = None
    try:
        model = root / "model" / "model.safetensors"
        model.parent.mkdir()
        tensors = write_safetensors(model, transformer_shapes(args.size))
        size = model.stat().st_size
        print(f"file: {size / MiB:.0f} MiB, {len(tensors)} tensors; chunker {DEFAULT_CHUNKER}")
        base = baselines(model, root)
        for name, value in base.items():
            print(f"  baseline {name:26s} {value:8.0f} MiB/s")

        reference, url = start_server(root / "whole-home", root / "whole.log")
        try:  # its own server: a whole copy would make every later push a no-op
            base["push_whole_http"] = push_whole(url, model)
        finally:
            reference.terminate()
            reference.wait(timeout=30)
        shutil.rmtree(root / "whole-home")
        print(f"  baseline {'push_whole_http':26s} {base['push_whole_http']:8.0f} MiB/s")
        proc, url = start_server(root / "home", root / "server.log")
        counter = WireCounter()
        client = Client(url)
        client.transport.http.event_hooks["request"].append(counter)  # type: ignore[attr-defined]
        storage = root / "home" / "blobs"
        rows: list[dict[str, Any]] = []
        first, second = root / "v1.safetensors", root / "v2.safetensors"  # for the sweep
        for number in range(1, args.versions + 1):
            changed = (0, 0)
            if number > 1:
                if number == 2:
                    shutil.copyfile(model, first)
                changed = rewrite_tensors(model, tensors, args.fraction, rng)
                if number == 2:
                    shutil.copyfile(model, second)
            counter.bytes = counter.requests = 0
            seconds = timed(lambda: client.push("llm", model.parent))
            stored = stored_bytes(storage)
            rows.append(
                {
                    "version": number,
                    "tensors_rewritten": changed[0],
                    "bytes_rewritten": changed[1],
                    "sent_bytes": counter.bytes,
                    "sent_fraction": counter.bytes / size,
                    "put_requests": counter.requests,
                    "push_s": seconds,
                    "push_mib_s": size / MiB / seconds,
                    "stored_bytes": sum(stored.values()),
                    "stored": stored,
                }
            )
            row = rows[-1]
            print(
                f"  v{number:<2} rewrote {changed[0]:3d} tensors ({changed[1] / size:5.1%})  "
                f"sent {row['sent_fraction']:6.1%} in {row['put_requests']:4d} PUTs  "
                f"push {seconds:6.2f}s ({row['push_mib_s']:6.0f} MiB/s of file)  "
                f"stored {row['stored_bytes'] / size:5.2f}x"
            )
        pulled = client.pull(f"llm/{args.versions}", root / "pulled")
        same = digest_file(pulled / model.name)[0] == digest_file(model)[0]
        print(f"  pull of v{args.versions}: {'byte-identical' if same else 'DIFFERENT'}")
        client.close()

        sweep = sweep_params(first, second) if args.versions > 1 else []
        for entry in sweep:
            print(
                f"  avg {entry['avg_kib']:6.0f} KiB: {entry['chunks']:6d} chunks "
                f"(mean {entry['mean_kib']:6.0f} KiB, list ~{entry['chunk_list_kib']:5.0f} KiB), "
                f"v2 new bytes {entry['new_fraction']:6.2%}"
            )
        total = rows[-1]["stored_bytes"]
        later = [row["sent_fraction"] for row in rows[1:]]
        print(
            f"stored after {args.versions} versions: {total / GiB:.3f} GiB for "
            f"{args.versions * size / GiB:.2f} GiB logical ({total / size:.2f}x one version; "
            f"target <= 1.6x) ; max sent per later push {max(later, default=0):.1%} (target <= 15%)"
        )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"size": size, "baselines": base, "versions": rows, "sweep": sweep}, indent=2
                )
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
