"""Walk pickle streams opcode by opcode (stdlib ``pickletools``) without ever unpickling.

Collects every global a loader would import: ``GLOBAL`` and ``INST`` name it inline,
``STACK_GLOBAL`` takes the two strings pushed before it (directly or fetched back from the memo,
which is tracked for that reason). A ``STACK_GLOBAL`` whose names cannot be resolved while a
string may be on the stack is reported as opaque, never ignored.

A file may hold several pickles back to back (``pickle.load`` called in a loop, as PyTorch's
legacy format and joblib do); the walk continues after each ``STOP``. joblib writes a numpy
array's raw bytes inside the stream, right after the ``BUILD`` of its ``NumpyArrayWrapper``; the
walk skips exactly the bytes joblib's loader would read (padding byte, padding, then
``prod(shape) * itemsize``), so opcodes hidden behind array data are still seen.
"""

from __future__ import annotations

import math
import pickletools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

from modelreg.scanning.fileview import FileView

_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING"}
_STRING_OPS |= {"BINSTRING", "SHORT_BINSTRING"}
_MEMO_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_MEMO_GET = {"GET", "BINGET", "LONG_BINGET"}
_EXTENSIONS = {"EXT1", "EXT2", "EXT4"}
OPCODES = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
_BYTE_STRINGS = {"BINBYTES": 4, "BINBYTES8": 8, "BYTEARRAY8": 8}
"""Opcodes whose argument is raw bytes of a declared length (width of the length field)."""
_JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_DTYPE = re.compile(r"^[<>|=]?(?P<kind>[biufcmMSUV])(?P<size>\d+)(?:\[\w+\])?$")
_DTYPE_SIZES = {"?": 1, "b": 1, "B": 1, "e": 2, "f": 4, "d": 8, "g": 16}
MAX_PICKLES = 64
"""Stacked pickles beyond this many in one file are reported as opaque."""


@dataclass(frozen=True, slots=True)
class GlobalRef:
    module: str
    name: str
    opcode: str
    offset: int


@dataclass(slots=True)
class Walk:
    globals: list[GlobalRef] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    """Things the walk could not see through; each makes the stream suspicious."""
    pickles: int = 0
    extensions: list[str] = field(default_factory=list)
    """EXT opcodes seen (not a finding, see ``_walk_one``)."""
    not_pickle: bool = False
    trailing_bytes_at: int | None = None
    """Offset of non-pickle data after the last complete pickle (PyTorch legacy storages)."""


class _Joblib:
    """The shape and dtype joblib's wrapper announces, read from the opcodes that build it."""

    def __init__(self) -> None:
        self.reset(active=False)

    def reset(self, *, active: bool) -> None:
        self.active = active
        self.depth = 0  # MARKs open since the wrapper appeared; its own BUILD is at depth 0
        self.last_key: str | None = None
        self.shape: list[int] = []
        self.shape_open = False
        self.dtype: str | None = None
        self.aligned = False

    def raw_size(self) -> int | None:
        """Bytes of raw array data joblib reads after the wrapper; None when unknown."""
        if self.dtype is None:
            return None
        if self.dtype.lstrip("<>|=").startswith("O"):
            return -1  # an object array: a nested pickle follows, walked as one
        itemsize = dtype_itemsize(self.dtype)
        return None if itemsize is None else math.prod(self.shape) * itemsize


def dtype_itemsize(text: str) -> int | None:
    if text.lstrip("<>|=") in _DTYPE_SIZES:
        return _DTYPE_SIZES[text.lstrip("<>|=")]
    match = _DTYPE.match(text)
    if not match:
        return None
    size = int(match["size"])
    return size * 4 if match["kind"] == "U" else size


def walk(stream: IO[bytes], *, start: int = 0) -> Walk:
    """Every global the pickles in ``stream`` (from ``start``) would import.

    Bytes that stop being a pickle before any import (random weights whose first bytes happen
    to be opcodes) are not a pickle at all: with nothing imported, nothing can be called, so
    ``not_pickle`` is set instead of reporting an unreadable stream.
    """
    result = Walk()
    view = FileView(stream)
    try:
        _walk_all(view, start, result)
    finally:
        view.close()
    return result


def _walk_all(view: FileView, start: int, result: Walk) -> None:
    view.seek(start)
    while result.pickles < MAX_PICKLES:
        position = view.tell()
        if not view.read(1):
            return
        view.seek(position)
        try:
            _walk_one(view, result)
        except (ValueError, OverflowError) as error:
            if result.pickles > 0:
                result.trailing_bytes_at = position
            elif result.globals or result.opaque:
                result.opaque.append(f"not a readable pickle stream at byte {position}: {error}")
            else:
                result.not_pickle = True
            return
        result.pickles += 1
    result.opaque.append(f"more than {MAX_PICKLES} pickles stacked in one file")


@dataclass(frozen=True, slots=True)
class _Dtype:
    """The value of ``numpy.dtype('f8', ...)``, kept so joblib's memoised dtypes can be read."""

    text: str


def _walk_one(stream: FileView, result: Walk) -> None:
    memo: dict[int, Any] = {}
    recent: list[Any] = []  # values pushed by the last few opcodes, for STACK_GLOBAL
    # Could a str be on the stack? Only after a string opcode of this stream: the memo and DUP
    # only hand back what was pushed, and anything else that yields a str needs an import
    # (recorded); persistent loads give what the loader's hook returns (PyTorch: storages).
    strings = False
    joblib = _Joblib()
    dtype: list[str | None] = []  # [text] while a numpy.dtype call is being built
    # genops reads one opcode at a time and asks the stream for its position, so skipping
    # joblib's raw array data with ``seek`` is seen by the same generator.
    for opcode, arg, offset in _ops(stream):
        name = opcode.name
        value: Any = None
        strings = strings or name in _STRING_OPS
        if name in _STRING_OPS:
            value = arg.decode("latin-1") if isinstance(arg, bytes) else arg
            if dtype == [None]:
                dtype[0] = value
        elif name.startswith("BININT") or name in ("INT", "LONG1"):
            value = int(arg)
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            items = recent[-int(name[-1]) :]
            if len(items) == int(name[-1]) and all(type(item) is int for item in items):
                value = tuple(items)
        elif name == "REDUCE" and dtype and dtype[0] is not None:
            value = _Dtype(dtype[0])
            dtype.clear()
        elif name in _MEMO_GET:
            value = memo.get(arg)
        elif name in ("MEMOIZE", *_MEMO_PUT):
            key = len(memo) if name == "MEMOIZE" else arg
            memo[key] = recent[-1] if recent else None
            continue
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            value = _record(result, module, attr, name, offset)
        elif name == "STACK_GLOBAL":
            if len(recent) >= 2 and isinstance(recent[-2], str) and isinstance(recent[-1], str):
                value = _record(result, recent[-2], recent[-1], name, offset)
            elif strings:  # without any str on the stack the loader refuses it, importing nothing
                result.opaque.append(f"STACK_GLOBAL at byte {offset} with names it cannot read")
        elif name in _EXTENSIONS:
            # copyreg's extension registry is empty unless the loading program fills it (the
            # standard library never does): what an EXT code names is the loader's choice.
            result.extensions.append(f"{name} at byte {offset}")
        elif name == "STOP":
            return
        # Named here, or fetched back from the memo when a second array reuses them:
        if value == ("numpy", "dtype"):
            dtype[:] = [None]
        elif value == _JOBLIB_WRAPPER:
            joblib.reset(active=True)
        if joblib.active and name == "BUILD" and joblib.depth == 0:
            _skip_array(stream, joblib, result, offset)
            joblib.reset(active=False)
        elif joblib.active:
            _follow_joblib(joblib, opcode, arg, value)
        recent = [*recent[-2:], value]
    raise ValueError("pickle ended without STOP")


def _ops(stream: FileView) -> Iterator[tuple[pickletools.OpcodeInfo, Any, int]]:
    """``pickletools.genops``, except that byte strings (tensors pickled inline) are skipped by
    their declared length instead of being read: genops would copy them into memory."""
    while True:
        offset = stream.tell()
        code = stream.read(1)
        if not code:
            raise ValueError("pickle exhausted before seeing STOP")
        opcode = OPCODES.get(code)
        if opcode is None:
            raise ValueError(f"at position {offset}, opcode {code!r} unknown")
        if opcode.name in _BYTE_STRINGS:
            width = _BYTE_STRINGS[opcode.name]
            length = int.from_bytes(stream.read(width), "little")
            if offset + 1 + width + length > stream.size:
                raise ValueError(f"a {opcode.name} of {length} bytes at {offset} runs past the end")
            stream.seek(length, 1)
            arg = None
        else:
            arg = read_arg(opcode, cast(IO[bytes], stream))
        yield opcode, arg, offset
        if opcode.name == "STOP":
            return


def read_arg(opcode: pickletools.OpcodeInfo, stream: IO[bytes]) -> Any:
    """The argument of ``opcode``, as ``pickletools`` reads it, except that protocol-0 text
    (STRING, GLOBAL, INST...) is not escape-decoded: ``codecs.escape_decode`` warns on the
    invalid escapes random bytes are full of, and the raw text is strict enough (an escaped
    module name is not on the allow-list, so it still counts as suspicious)."""
    if opcode.arg is None:
        return None
    kind = opcode.arg.name
    if kind not in _TEXT_LINES:
        return opcode.arg.reader(stream)
    if kind == "stringnl_noescape_pair":
        return f"{_text_line(stream, quoted=False)} {_text_line(stream, quoted=False)}"
    return _text_line(stream, quoted=kind == "stringnl")


_TEXT_LINES = frozenset({"stringnl", "stringnl_noescape", "stringnl_noescape_pair"})


def _text_line(stream: IO[bytes], *, quoted: bool) -> str:
    line = stream.readline()
    if not line.endswith(b"\n"):
        raise ValueError("no newline found when trying to read stringnl")
    text = line[:-1]
    if quoted:
        if not (len(text) >= 2 and text[:1] in (b"'", b'"') and text[-1:] == text[:1]):
            raise ValueError(f"no string quotes around {text[:40]!r}")
        text = text[1:-1]
    return text.decode("latin-1")


def _record(result: Walk, module: str, attr: str, opcode: str, offset: int) -> tuple[str, str]:
    result.globals.append(GlobalRef(module, attr, opcode, offset))
    return module, attr


def _follow_joblib(joblib: _Joblib, opcode: Any, arg: Any, value: Any) -> None:
    name = opcode.name
    if name == "MARK":
        joblib.depth += 1
    elif "mark" in [item.name for item in opcode.stack_before]:
        joblib.depth -= 1
    if isinstance(value, _Dtype) and joblib.last_key == "dtype" and joblib.dtype is None:
        joblib.dtype = value.text
    elif isinstance(value, tuple) and joblib.shape_open and not joblib.shape:
        joblib.shape = [int(item) for item in value]
        joblib.shape_open = False
    if isinstance(value, str):
        if value in ("shape", "dtype", "order", "subclass", "allow_mmap"):
            joblib.last_key = value
            joblib.shape_open = value == "shape"
        elif value == "numpy_array_alignment_bytes":
            joblib.aligned = True
        return
    if joblib.shape_open:
        if isinstance(value, int):
            joblib.shape.append(value)
        elif name.startswith("TUPLE") or name == "EMPTY_TUPLE":
            joblib.shape_open = False


def _skip_array(stream: FileView, joblib: _Joblib, result: Walk, offset: int) -> None:
    """Move past the raw array data joblib writes after its wrapper, as its loader reads it."""
    size = joblib.raw_size()
    if size is None:
        result.opaque.append(f"joblib array at byte {offset} with a shape or dtype it cannot read")
        raise ValueError("unreadable joblib array")
    if size < 0:
        _walk_one(stream, result)  # object arrays: a whole pickle, nested in the stream
        return
    if joblib.aligned:
        padding = stream.read(1)
        if padding:
            stream.seek(padding[0], 1)
    stream.seek(size, 1)
