"""Read the operator-set domains an ONNX model imports, straight from its protobuf encoding.

``ModelProto.opset_import`` (field 8) lists ``OperatorSetIdProto`` messages whose ``domain``
(field 1) names the operator set; a domain outside ONNX's own needs a custom-op library
registered at load time. Top-level fields are walked and skipped by length, so the (large)
graph with its weights is never read into memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

STANDARD_DOMAINS = frozenset(
    {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training"}
)
_OPSET_IMPORT = 8
_MAX_OPSET_MESSAGE = 64 * 1024


def custom_domains(path: Path) -> list[str]:
    """Operator domains outside ONNX's own; ``["<unreadable>"]`` when the file cannot be read."""
    found: list[str] = []
    try:
        with path.open("rb") as handle:
            while True:
                key = _varint(handle)
                if key is None:
                    return found
                field, wire = key >> 3, key & 7
                if wire == 0:
                    _varint(handle)
                elif wire == 1:
                    handle.seek(8, 1)
                elif wire == 5:
                    handle.seek(4, 1)
                elif wire == 2:
                    length = _varint(handle) or 0
                    if field == _OPSET_IMPORT and length <= _MAX_OPSET_MESSAGE:
                        domain = _domain(handle.read(length))
                        if domain not in STANDARD_DOMAINS:
                            found.append(domain)
                    else:
                        handle.seek(length, 1)
                else:
                    return ["<unreadable>"]
    except (ValueError, IndexError, UnicodeDecodeError):
        return ["<unreadable>"]


def _varint(handle: IO[bytes]) -> int | None:
    value, shift = 0, 0
    while True:
        byte = handle.read(1)
        if not byte:
            if shift:
                raise ValueError("truncated varint")
            return None
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _domain(message: bytes) -> str:
    position = 0
    while position < len(message):
        key = message[position]
        position += 1
        if key == 0x0A:  # field 1, length-delimited: the domain
            length = message[position]
            return message[position + 1 : position + 1 + length].decode("utf-8")
        if key & 7 == 0:
            while message[position] & 0x80:
                position += 1
            position += 1
        else:
            raise ValueError("unexpected field in OperatorSetIdProto")
    return ""
