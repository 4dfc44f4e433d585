"""A corpus of model files, built on the spot: malicious ones that run code when loaded, and
benign ones as ML libraries write them. No file here is ever unpickled by the tests.

Malicious pickles are written opcode by opcode (as an attacker would) or through ``__reduce__``;
PyTorch-style archives follow torch's zip layout (``archive/data.pkl``, ``archive/data/0``,
``archive/version``) without needing torch.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    malicious: bool


# -- opcode-level builders ------------------------------------------------------------------------


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _text(value: str) -> bytes:
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def _call_v0(module: str, name: str, argument: str) -> bytes:
    """Protocol 0: GLOBAL, MARK, one string, TUPLE, REDUCE, STOP."""
    return _global(module, name) + b"(" + f"V{argument}\n".encode() + b"tR."


def _call_v2(module: str, name: str, argument: str) -> bytes:
    return b"\x80\x02" + _global(module, name) + _text(argument) + b"\x85R."


def _call_stack_global(module: str, name: str, argument: str) -> bytes:
    """Protocol 4: STACK_GLOBAL with its strings memoised, then fetched back with BINGET."""
    return (
        b"\x80\x04"
        + _short(module)
        + b"\x94"  # MEMOIZE -> 0
        + _short(name)
        + b"\x94"  # MEMOIZE -> 1
        + b"0"  # POP
        + b"0"  # POP
        + b"h\x00h\x01"  # BINGET 0, BINGET 1
        + b"\x93"  # STACK_GLOBAL
        + _short(argument)
        + b"\x85R."
    )


def _short(value: str) -> bytes:
    data = value.encode()
    return b"\x8c" + bytes([len(data)]) + data


def _inst(module: str, name: str, argument: str) -> bytes:
    """Protocol 0 INST: the class (here a function) is named inline and called at once."""
    return b"(" + f"V{argument}\n".encode() + b"i" + f"{module}\n{name}\n".encode() + b"."


def _getattr_trick() -> bytes:
    """getattr(__import__('os'), 'system')('id'): only builtins are named."""
    return (
        b"\x80\x02"
        + _global("builtins", "getattr")
        + b"("
        + _global("builtins", "__import__")
        + _text("os")
        + b"\x85R"
        + _text("system")
        + b"tR"
        + _text("id")
        + b"\x85R."
    )


class Reducer:
    """An object whose unpickling calls ``target(*args)``: the classic ``__reduce__`` payload."""

    def __init__(self, target: Any, *args: Any) -> None:
        self.target = target
        self.args = args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.target, self.args


# -- PyTorch-style archives -----------------------------------------------------------------------


def _torch_state_dict_pickle() -> bytes:
    """What ``torch.save(model.state_dict())`` writes as ``data.pkl`` for one float tensor."""
    return (
        b"\x80\x02"
        + _global("collections", "OrderedDict")
        + b")R"
        + _text("weight")
        + _global("torch._utils", "_rebuild_tensor_v2")
        + b"("
        + b"("  # persistent id tuple
        + _text("storage")
        + _global("torch", "FloatStorage")
        + _text("0")
        + _text("cpu")
        + b"K\x04tQ"  # BININT1 4, TUPLE, BINPERSID
        + b"K\x00"  # storage offset
        + b"K\x02K\x02\x86"  # size (2, 2)
        + b"K\x02K\x01\x86"  # stride (2, 1)
        + b"\x89"  # requires_grad False
        + _global("collections", "OrderedDict")
        + b")R"
        + b"tR"
        + b"s."
    )


def _torch_zip(path: Path, data_pkl: bytes, *, root: str = "archive") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{root}/data.pkl", data_pkl)
        archive.writestr(f"{root}/byteorder", "little")
        archive.writestr(f"{root}/data/0", struct.pack("<4f", 1.0, 2.0, 3.0, 4.0))
        archive.writestr(f"{root}/version", "3\n")
    return path


# -- the corpus -----------------------------------------------------------------------------------


def malicious(root: Path) -> list[Sample]:
    root.mkdir(parents=True, exist_ok=True)
    raw: dict[str, bytes] = {
        "os_system_v0.pkl": _call_v0("os", "system", "echo pwned"),
        "posix_system_v2.pkl": _call_v2("posix", "system", "echo pwned"),
        "nt_system.pkl": _call_v2("nt", "system", "echo pwned"),
        "builtins_eval.pkl": _call_v2("builtins", "eval", "__import__('os').system('id')"),
        "builtins_exec.pkl": _call_v2("builtins", "exec", "import os; os.system('id')"),
        "dunder_builtin_eval.pkl": _call_v0("__builtin__", "eval", "1+1"),
        "subprocess_popen.pkl": _call_v2("subprocess", "Popen", "id"),
        "subprocess_check_output.pkl": _call_v2("subprocess", "check_output", "id"),
        "runpy_run_path.pkl": _call_v2("runpy", "run_path", "/tmp/x.py"),
        "runpy_run_code.pkl": _call_v2("runpy", "_run_code", "print(1)"),
        "stack_global_os_system.pkl": _call_stack_global("os", "system", "id"),
        "inst_os_system.pkl": _inst("os", "system", "id"),
        "getattr_import_trick.pkl": _getattr_trick(),
        "webbrowser_open.pkl": _call_v2("webbrowser", "open", "http://example.invalid"),
        "unknown_module_call.pkl": _call_v2("evil_helpers", "run", "payload"),
        # A benign-looking model dict followed by a second pickle that runs a command.
        "stacked_second_pickle.pkl": pickle.dumps({"weights": [1, 2]})
        + _call_v2("os", "system", "id"),
    }
    samples = []
    for name, data in raw.items():
        path = root / name
        path.write_bytes(data)
        samples.append(Sample(name, path, True))
    reduce_payloads: dict[str, Any] = {
        "reduce_os_system.pkl": Reducer(os.system, "echo pwned"),
        "reduce_eval.pkl": Reducer(eval, "1+1"),
        "reduce_exec.pkl": Reducer(exec, "x = 1"),
    }
    for name, payload in reduce_payloads.items():
        path = root / name
        path.write_bytes(pickle.dumps(payload, protocol=4))
        samples.append(Sample(name, path, True))
    samples += _malicious_containers(root, raw)
    return samples


def _malicious_containers(root: Path, raw: dict[str, bytes]) -> list[Sample]:
    samples = []
    evil = _call_v2("os", "system", "echo pwned")
    torch_evil = _torch_state_dict_pickle()[:-1] + b"0" + evil[2:]  # state dict, then payload
    paths = [
        _torch_zip(root / "torch_data_pkl.pt", evil),
        _torch_zip(root / "torch_state_dict_then_payload.pth", torch_evil),
        _torch_zip(root / "torch_named_root.bin", raw["subprocess_popen.pkl"], root="resnet"),
    ]
    nested = root / "nested.zip"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("model/weights.pkl", raw["builtins_exec.pkl"])
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("README.txt", "nothing to see")
        archive.writestr("inner.zip", inner.getvalue())
    paths.append(nested)
    disguised = root / "disguised.safetensors"  # an extension that lies
    disguised.write_bytes(raw["os_system_v0.pkl"])
    paths.append(disguised)
    joblib_path = root / "model.joblib"
    joblib.dump({"coef": np.arange(4.0), "hook": Reducer(os.system, "id")}, joblib_path)
    paths.append(joblib_path)
    joblib_compressed = root / "compressed.joblib"
    joblib.dump({"hook": Reducer(os.system, "id")}, joblib_compressed, compress=3)
    paths.append(joblib_compressed)
    gz = root / "model.pkl.gz"
    gz.write_bytes(gzip.compress(raw["posix_system_v2.pkl"]))
    paths.append(gz)
    bz = root / "model.pkl.bz2"
    bz.write_bytes(bz2.compress(raw["builtins_eval.pkl"]))
    paths.append(bz)
    npy = root / "object_array.npy"
    np.save(npy, np.array([Reducer(os.system, "id"), 1], dtype=object), allow_pickle=True)
    paths.append(npy)
    npz = root / "object_arrays.npz"
    np.savez(npz, ok=np.arange(3), bad=np.array([Reducer(eval, "1"), 2], dtype=object))
    paths.append(npz)
    keras = root / "lambda.keras"
    with zipfile.ZipFile(keras, "w") as archive:
        archive.writestr("config.json", json.dumps(_keras_config(with_lambda=True)))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64))
    paths.append(keras)
    h5 = root / "lambda.h5"
    config = json.dumps({"class_name": "Sequential", "config": _keras_config(True)["config"]})
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(120) + config.encode() + bytes(64))
    paths.append(h5)
    samples += [Sample(path.name, path, True) for path in paths]
    return samples


def _keras_config(with_lambda: bool) -> dict[str, Any]:
    layers: list[dict[str, Any]] = [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4]}},
        {"class_name": "Dense", "config": {"units": 2}},
    ]
    if with_lambda:
        layers.append(
            {
                "class_name": "Lambda",
                "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEA"}}},
            }
        )
    return {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}


def benign(root: Path) -> list[Sample]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    root.mkdir(parents=True, exist_ok=True)
    features = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    labels = np.array([0, 1, 0, 1])
    logistic = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels)
    tree = DecisionTreeClassifier(max_depth=2).fit(features, labels)
    files: dict[str, bytes] = {
        "sklearn_pipeline.pkl": pickle.dumps(logistic, protocol=4),
        "sklearn_tree_v2.pkl": pickle.dumps(tree, protocol=2),
        "sklearn_tree_v5.pkl": pickle.dumps(tree, protocol=5),
        "numpy_array.pkl": pickle.dumps(np.arange(12.0).reshape(3, 4)),
        "plain_dict.pkl": pickle.dumps({"lr": 0.1, "layers": [3, 4], "name": "m", "set": {1}}),
        "protocol0_dict.pkl": pickle.dumps({"a": (1, 2.5, "x")}, protocol=0),
        "weights.safetensors": _safetensors(),
        "config.json": b'{"hidden": 4, "labels": ["a", "b"]}',
        "metrics.csv": b"epoch,loss\n1,0.5\n2,0.25\n",
        "README.md": b"# A model\n\nTrained on tiny data.\n",
        "random.bin": os.urandom(65_536),
    }
    samples = []
    for name, data in files.items():
        path = root / name
        path.write_bytes(data)
        samples.append(Sample(name, path, False))
    npy = root / "array.npy"
    np.save(npy, np.arange(10, dtype=np.float32))
    npz = root / "arrays.npz"
    np.savez_compressed(npz, a=np.arange(3), b=np.ones((2, 2)))
    torch_like = _torch_zip(root / "state_dict.pt", _torch_state_dict_pickle())
    sk_joblib = root / "pipeline.joblib"
    joblib.dump(logistic, sk_joblib)
    sk_joblib_z = root / "pipeline_compressed.joblib"
    joblib.dump(logistic, sk_joblib_z, compress=3)
    keras = root / "dense.keras"
    with zipfile.ZipFile(keras, "w") as archive:
        archive.writestr("config.json", json.dumps(_keras_config(with_lambda=False)))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
    for path in (npy, npz, torch_like, sk_joblib, sk_joblib_z, keras):
        samples.append(Sample(path.name, path, False))
    return samples


def _safetensors() -> bytes:
    tensor = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    header = json.dumps(
        {"weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, len(tensor)]}}
    ).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + tensor
