"""Open a file's containers down to the pickle streams inside, and check formats that carry code
some other way (Keras Lambda layers, TorchScript code, custom ONNX operator domains).

Archives and compressed files are unpacked member by member into a work folder, streamed, never
held in memory; nesting is followed up to ``MAX_DEPTH``. Whatever cannot be opened or read is a
*suspicious* finding: an opaque file is never taken as clean.
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import json
import lzma
import re
import secrets
import shutil
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from modelreg.domain.scans import Finding, Verdict
from modelreg.scanning import onnx
from modelreg.scanning.formats import COMPRESSED, HEAD_SIZE, Format, detect
from modelreg.scanning.opcodes import Walk, walk

MAX_DEPTH = 6
MAX_MEMBERS = 100_000
MAX_CONFIG = 64 * 1024 * 1024
BOMB_RATIO = 200
"""A compressed stream may expand to this many times its size (plus 1 GiB) before it is
reported instead of unpacked further."""
CHUNK = 1024 * 1024
_LAMBDA = re.compile(rb'"class_name"\s*:\s*"(?:Lambda|TFOpLambda)"')
_INSPECTED = frozenset(
    {Format.PICKLE, Format.NUMPY, Format.ZIP, Format.TAR, Format.HDF5, Format.ONNX, *COMPRESSED}
)


@dataclass(frozen=True, slots=True)
class PickleStream:
    path: Path
    offset: int
    location: str
    walked: Walk
    """What the strict walk found (walked once, here, to tell pickles from look-alikes)."""


@dataclass(slots=True)
class Inspection:
    file_format: Format = Format.DATA
    streams: list[PickleStream] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def flag(self, severity: Verdict, message: str, location: str) -> None:
        self.findings.append(Finding(severity, message, location))


def needs_content(file_format: Format) -> bool:
    """Whether a file of this format must be read beyond its head to be judged."""
    return file_format in _INSPECTED


def inspect(path: Path, name: str, workdir: Path) -> Inspection:
    inspection = Inspection()
    inspection.file_format = _inspect(path, name, "", 0, inspection, workdir)
    return inspection


def _inspect(
    path: Path, name: str, location: str, depth: int, found: Inspection, workdir: Path
) -> Format:
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
    kind = detect(head, name)
    if depth > MAX_DEPTH and kind in _INSPECTED:
        found.flag(Verdict.SUSPICIOUS, f"nested deeper than {MAX_DEPTH} containers", location)
        return kind
    if kind is Format.PICKLE:
        walked = _walk(path, 0)
        if walked.not_pickle:
            return Format.DATA  # opcode-like bytes that import nothing: nothing can run
        found.streams.append(PickleStream(path, 0, location, walked))
    elif kind is Format.NUMPY:
        _numpy(path, location, found)
    elif kind is Format.ZIP:
        return _zip(path, location, depth, found, workdir)
    elif kind is Format.TAR:
        _tar(path, location, depth, found, workdir)
    elif kind in COMPRESSED:
        if not _decompress(path, kind, name, location, depth, found, workdir):
            return Format.DATA
    elif kind is Format.HDF5:
        _hdf5(path, location, found)
    elif kind is Format.ONNX:
        for domain in onnx.custom_domains(path):
            found.flag(Verdict.SUSPICIOUS, f"custom ONNX operator domain {domain!r}", location)
    elif kind is Format.SEVEN_ZIP:
        found.flag(Verdict.SUSPICIOUS, "7z archives are not inspected", location)
    return kind


def _child(location: str, member: str) -> str:
    return f"{location}!{member}" if location else member


def _numpy(path: Path, location: str, found: Inspection) -> None:
    """An ``.npy`` of object dtype is a pickle after its header (``np.load(allow_pickle=True)``)."""
    with path.open("rb") as handle:
        handle.seek(6)
        major = handle.read(2)[:1]
        size_bytes = 2 if major == b"\x01" else 4
        length = int.from_bytes(handle.read(size_bytes), "little")
        header_text = handle.read(min(length, 1024 * 1024)).decode("latin-1")
        start = 8 + size_bytes + length
    try:
        header = ast.literal_eval(header_text.strip())
        descr = header["descr"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        found.flag(Verdict.SUSPICIOUS, "unreadable numpy header", location)
        return
    if _has_object(descr):
        found.streams.append(PickleStream(path, start, location, _walk(path, start)))


def _walk(path: Path, start: int) -> Walk:
    with path.open("rb") as handle:
        return walk(handle, start=start)


def _has_object(descr: Any) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        return any(_has_object(part) for part in descr)
    if isinstance(descr, tuple) and len(descr) >= 2:
        return _has_object(descr[1])  # a structured field: (name, dtype[, shape])
    return True  # a descr numpy would not write: do not vouch for it


def _zip(path: Path, location: str, depth: int, found: Inspection, workdir: Path) -> Format:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            kind = _zip_kind([info.filename for info in members])
            if len(members) > MAX_MEMBERS:
                found.flag(Verdict.SUSPICIOUS, f"more than {MAX_MEMBERS} members", location)
                members = members[:MAX_MEMBERS]
            for info in members:
                with archive.open(info) as member:
                    _member(member, info.filename, location, depth, found, workdir)
            return kind
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        found.flag(Verdict.SUSPICIOUS, f"unreadable zip archive: {error}", location)
        return Format.ZIP


def _zip_kind(names: list[str]) -> Format:
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return Format.PYTORCH
    if "config.json" in names and ({"metadata.json", "model.weights.h5"} & set(names)):
        return Format.KERAS
    if names and all(n.endswith(".npy") for n in names):
        return Format.NPZ
    return Format.ZIP


def _member(
    stream: IO[bytes], member: str, location: str, depth: int, found: Inspection, workdir: Path
) -> None:
    where = _child(location, member)
    head = stream.read(HEAD_SIZE)
    kind = detect(head, member)
    if member.rsplit("/", 1)[-1] == "config.json" and kind is Format.TEXT:
        _keras_config(head + stream.read(MAX_CONFIG), where, found)
    elif "/code/" in f"/{member}" and member.endswith(".py"):
        found.flag(Verdict.SUSPICIOUS, "TorchScript code, compiled when the model loads", where)
    if not needs_content(kind):
        return
    target = _scratch(workdir)
    with target.open("wb") as out:
        out.write(head)
        shutil.copyfileobj(stream, out, CHUNK)
    _inspect(target, member, where, depth + 1, found, workdir)


def _tar(path: Path, location: str, depth: int, found: Inspection, workdir: Path) -> None:
    try:
        with tarfile.open(path, mode="r:") as archive:
            for info in archive:
                if not info.isfile():
                    continue
                extracted = archive.extractfile(info)
                if extracted is not None:
                    with extracted:
                        _member(extracted, info.name, location, depth, found, workdir)
    except (tarfile.TarError, OSError, EOFError) as error:
        found.flag(Verdict.SUSPICIOUS, f"unreadable tar archive: {error}", location)


def _decompress(
    path: Path,
    kind: Format,
    name: str,
    location: str,
    depth: int,
    found: Inspection,
    workdir: Path,
) -> bool:
    """False when not one byte decompresses: then it is no compressed file at all."""
    limit = path.stat().st_size * BOMB_RATIO + 1024**3
    target = _scratch(workdir)
    written = 0
    try:
        with target.open("wb") as out:
            for chunk in _decompressed(path, kind):
                written += len(chunk)
                if written > limit:
                    found.flag(
                        Verdict.SUSPICIOUS, f"expands beyond {limit} bytes; not inspected", location
                    )
                    return True
                out.write(chunk)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
        # A loader reading this stream gets exactly the bytes before the error (and may act on
        # them before failing): those are inspected; with none, it is not a compressed file.
        if written == 0:
            return False
    inner = name.rsplit(".", 1)[0] if "." in name else name
    _inspect(target, inner, _child(location, f"({kind})"), depth + 1, found, workdir)
    return True


def _decompressed(path: Path, kind: Format) -> Iterator[bytes]:
    if kind is Format.ZLIB:
        inflater = zlib.decompressobj()
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield inflater.decompress(chunk, CHUNK * 16)
                while inflater.unconsumed_tail:
                    yield inflater.decompress(inflater.unconsumed_tail, CHUNK * 16)
        yield inflater.flush()
        return
    with _open_compressed(path, kind) as reader:
        while chunk := reader.read(CHUNK):
            yield chunk


def _open_compressed(path: Path, kind: Format) -> io.BufferedIOBase:
    if kind is Format.GZIP:
        return gzip.GzipFile(path, "rb")
    if kind is Format.BZIP2:
        return bz2.BZ2File(path, "rb")
    return lzma.LZMAFile(path, "rb")


def _hdf5(path: Path, location: str, found: Inspection) -> None:
    """Keras stores its model config as JSON in an HDF5 attribute, uncompressed: a byte search
    finds a Lambda layer without an HDF5 library (see the limits in docs/scanning.md)."""
    overlap = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if _LAMBDA.search(overlap + chunk):
                found.flag(Verdict.UNSAFE, "Keras Lambda layer: Python code runs on load", location)
                return
            overlap = chunk[-64:]


def _keras_config(data: bytes, location: str, found: Inspection) -> None:
    try:
        config = json.loads(data)
    except ValueError:
        return  # not JSON after all: plain text, nothing to run
    for layer in _class_names(config):
        if layer in ("Lambda", "TFOpLambda"):
            found.flag(Verdict.UNSAFE, "Keras Lambda layer: Python code runs on load", location)
            return


def _class_names(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("class_name"), str):
                yield item["class_name"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _scratch(workdir: Path) -> Path:
    return workdir / f"part-{secrets.token_hex(8)}"
