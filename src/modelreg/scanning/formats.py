"""Recognise a file's format from its first bytes (and, only as a hint, its name).

Content decides, never the extension alone: a pickle renamed ``weights.safetensors`` is a
pickle. The order matters: a protocol-0 pickle is also valid text, so the pickle sniff runs
before the text check.
"""

from __future__ import annotations

import enum
import io
import json
import struct

from modelreg.scanning.opcodes import OPCODES, read_arg

HEAD_SIZE = 64 * 1024
"""Bytes read to decide a format; a pickle still unfinished after them is taken as a pickle."""


class Format(enum.StrEnum):
    PICKLE = "pickle"
    ZIP = "zip"
    PYTORCH = "pytorch"
    KERAS = "keras"
    NUMPY = "numpy"
    NPZ = "npz"
    TAR = "tar"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    ZLIB = "zlib"
    SEVEN_ZIP = "7z"
    HDF5 = "hdf5"
    SAFETENSORS = "safetensors"
    ONNX = "onnx"
    TEXT = "text"
    DATA = "data"
    """Binary data of no format that can run code on load (weights, images, ...)."""


_IMPORTING = frozenset({"GLOBAL", "STACK_GLOBAL", "INST"})
_RAN_OUT = ("not enough data", "but only", "no newline found", "exhausted")
COMPRESSED = frozenset({Format.GZIP, Format.BZIP2, Format.XZ, Format.ZLIB})


def detect(head: bytes, name: str) -> Format:
    """The format of a file starting with ``head`` (up to ``HEAD_SIZE`` bytes)."""
    lower = name.lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Format.ZIP  # refined from its members by the inspection
    if head.startswith(b"\x93NUMPY"):
        return Format.NUMPY
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return Format.HDF5
    if head.startswith(b"\x1f\x8b"):
        return Format.GZIP
    if head.startswith(b"BZh"):
        return Format.BZIP2
    if head.startswith((b"\xfd7zXZ\x00", b"\x5d\x00\x00")):
        return Format.XZ
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return Format.SEVEN_ZIP
    if len(head) > 262 and head[257:262] == b"ustar":
        return Format.TAR
    if _is_zlib(head):
        return Format.ZLIB
    if _is_safetensors(head):
        return Format.SAFETENSORS
    if is_pickle(head):
        return Format.PICKLE
    if lower.endswith(".onnx") and head[:1] == b"\x08":
        return Format.ONNX
    if _is_text(head):
        return Format.TEXT
    return Format.DATA


def is_pickle(head: bytes) -> bool:
    """Does ``head`` start a pickle stream? True when its opcodes read cleanly up to ``STOP``
    or up to the end of ``head``: a pickle longer than the sniffed bytes, or a truncated one,
    which still runs every call before the point where loading fails."""
    if head[:1] == b"\x80" and len(head) > 1 and head[1] <= 5:
        return True
    if not head:
        return False
    imports = False
    try:
        stream = io.BytesIO(head)
        while True:
            code = stream.read(1)
            opcode = OPCODES.get(code)
            if opcode is None:
                if not code:
                    raise ValueError("pickle exhausted before seeing STOP")
                raise ValueError(f"opcode {code!r} unknown")
            read_arg(opcode, stream)
            if opcode.name == "STOP":
                return True
            imports = imports or opcode.name in _IMPORTING
    except ValueError as error:
        # Cut off mid-stream: more pickle beyond the head, or a truncated file that still
        # calls what it imported before loading fails; without an import nothing can run.
        return any(sign in str(error) for sign in _RAN_OUT) and (imports or len(head) >= HEAD_SIZE)


def _is_zlib(head: bytes) -> bool:
    # joblib's zlib output: CMF 0x78 and a header checksum divisible by 31 (RFC 1950).
    return len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0


def _is_safetensors(head: bytes) -> bool:
    if len(head) < 10:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    if not 2 <= length <= 100 * 1024 * 1024 or head[8:9] != b"{":
        return False
    if 8 + length > len(head):
        return True  # a header longer than the sniffed bytes; its JSON start is enough
    try:
        return isinstance(json.loads(head[8 : 8 + length]), dict)
    except ValueError:
        return False


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut by the end of the head
    return True
