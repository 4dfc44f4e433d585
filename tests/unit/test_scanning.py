"""The scanners on a corpus of malicious and benign model files built on the spot: no false
negatives, benign ML files clean, every engine named with its version. Nothing is unpickled."""

from __future__ import annotations

import io
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest

from modelreg.domain.scans import Verdict, worst
from modelreg.scanning.allowlist import classify
from modelreg.scanning.formats import HEAD_SIZE, Format, detect
from modelreg.scanning.opcodes import walk
from modelreg.scanning.port import FileReport, Scanner
from modelreg.scanning.scanner import ModelFileScanner
from tests import scanning_corpus
from tests.scanning_corpus import Sample

SCANNER = ModelFileScanner()
_CORPUS: dict[str, list[Sample]] = {}


def _samples(kind: str, root: Path) -> list[Sample]:
    if kind not in _CORPUS:
        build = scanning_corpus.malicious if kind == "malicious" else scanning_corpus.benign
        _CORPUS[kind] = build(root / kind)
    return _CORPUS[kind]


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


def scan(path: Path) -> FileReport:
    head = path.read_bytes()[:HEAD_SIZE]
    return SCANNER.scan_head(head, path.name) or SCANNER.scan_file(path, path.name)


def verdict(report: FileReport) -> Verdict:
    return worst(result.verdict for result in report.results)


def test_the_scanner_fits_the_port() -> None:
    port: Scanner = SCANNER
    assert set(port.engines) == {"modelreg-strict", "picklescan"}
    assert all(port.engines.values())


def test_no_malicious_file_is_clean(corpus_root: Path) -> None:
    samples = _samples("malicious", corpus_root)
    assert len(samples) >= 30
    missed = {s.name: verdict(scan(s.path)) for s in samples}
    assert {name: v for name, v in missed.items() if not v.quarantined} == {}


def test_code_execution_is_unsafe_not_merely_suspicious(corpus_root: Path) -> None:
    samples = {s.name: s for s in _samples("malicious", corpus_root)}
    for name in (
        "os_system_v0.pkl",
        "posix_system_v2.pkl",
        "builtins_eval.pkl",
        "builtins_exec.pkl",
        "subprocess_popen.pkl",
        "runpy_run_path.pkl",
        "stack_global_os_system.pkl",
        "inst_os_system.pkl",
        "getattr_import_trick.pkl",
        "reduce_os_system.pkl",
        "torch_data_pkl.pt",
        "torch_state_dict_then_payload.pth",
        "nested.zip",
        "model.joblib",
        "compressed.joblib",
        "object_array.npy",
        "lambda.keras",
        "lambda.h5",
    ):
        assert verdict(scan(samples[name].path)) is Verdict.UNSAFE, name


def test_an_import_off_the_allow_list_is_suspicious(corpus_root: Path) -> None:
    samples = {s.name: s for s in _samples("malicious", corpus_root)}
    report = scan(samples["unknown_module_call.pkl"].path)
    assert verdict(report) is Verdict.SUSPICIOUS
    strict = next(r for r in report.results if r.engine == "modelreg-strict")
    assert "evil_helpers.run" in strict.findings[0].message


def test_benign_ml_files_and_safe_formats_are_clean(corpus_root: Path) -> None:
    samples = _samples("benign", corpus_root)
    verdicts = {s.name: verdict(scan(s.path)) for s in samples}
    assert {name: v for name, v in verdicts.items() if v is not Verdict.CLEAN} == {}


def test_formats_are_recognised_by_content(corpus_root: Path) -> None:
    benign = {s.name: s.path for s in _samples("benign", corpus_root)}
    bad = {s.name: s.path for s in _samples("malicious", corpus_root)}
    expected = {
        benign["weights.safetensors"]: "safetensors",
        benign["config.json"]: "text",
        benign["random.bin"]: "data",
        benign["state_dict.pt"]: "pytorch",
        benign["arrays.npz"]: "npz",
        benign["dense.keras"]: "keras",
        benign["array.npy"]: "numpy",
        benign["pipeline_compressed.joblib"]: "zlib",
        bad["disguised.safetensors"]: "pickle",  # the extension lies; the content decides
        bad["os_system_v0.pkl"]: "pickle",
        bad["lambda.h5"]: "hdf5",
    }
    assert {path.name: scan(path).file_format for path in expected} == {
        path.name: kind for path, kind in expected.items()
    }


def test_findings_name_the_archive_member(corpus_root: Path) -> None:
    samples = {s.name: s for s in _samples("malicious", corpus_root)}
    nested = scan(samples["nested.zip"].path)
    strict = next(r for r in nested.results if r.engine == "modelreg-strict")
    assert strict.findings[0].location == "inner.zip!model/weights.pkl"
    assert "builtins.exec" in strict.findings[0].message


def test_protocol_zero_pickle_is_not_mistaken_for_text() -> None:
    assert detect(b"cos\nsystem\n(S'id'\ntR.", "notes.txt") is Format.PICKLE
    assert detect(b"little", "byteorder") is Format.TEXT
    assert detect(b"epoch,loss\n1,0.5\n", "m.csv") is Format.TEXT


def test_a_truncated_pickle_still_counts_for_what_it_imports() -> None:
    data = b"cos\nsystem\n(S'id'\ntR"  # no STOP: loading fails only after the call
    assert detect(data, "x") is Format.PICKLE
    found = walk(io.BytesIO(data))
    assert [(g.module, g.name) for g in found.globals] == [("os", "system")]
    assert found.opaque  # and the unreadable rest is reported


def test_joblib_array_data_does_not_hide_later_opcodes(tmp_path: Path) -> None:
    path = tmp_path / "x.joblib"
    arrays = [np.arange(5), np.ones((3, 4), dtype=np.float32), np.array(["a", "bb"])]
    joblib.dump(
        {"arrays": arrays, "later": {"k": 1}, "hook": scanning_corpus.Reducer(eval, "1")}, path
    )
    with path.open("rb") as handle:
        found = walk(handle)
    assert found.opaque == []
    assert ("builtins", "eval") in {(g.module, g.name) for g in found.globals}


def test_stacked_pickles_are_all_walked() -> None:
    data = pickle.dumps([1]) + pickle.dumps({2}) + b"cos\nsystem\n(S'id'\ntR."
    found = walk(io.BytesIO(data))
    assert found.pickles == 3
    assert ("os", "system") in {(g.module, g.name) for g in found.globals}


def test_allow_list_semantics() -> None:
    assert classify("numpy._core.multiarray", "_reconstruct") is Verdict.CLEAN
    assert classify("sklearn.linear_model._logistic", "LogisticRegression") is Verdict.CLEAN
    assert classify("torch._utils", "_rebuild_tensor_v2") is Verdict.CLEAN
    assert classify("torch", "FloatStorage") is Verdict.CLEAN
    assert classify("sklearn.utils", "some_function") is Verdict.SUSPICIOUS
    assert classify("builtins", "getattr") is Verdict.UNSAFE
    assert classify("os.path", "join") is Verdict.UNSAFE  # os and everything below it
    assert classify("torch.hub", "load") is Verdict.UNSAFE
    assert classify("mypackage", "Model") is Verdict.SUSPICIOUS


def test_unreadable_archives_are_suspicious(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", b"cos\nsystem\n(S'id'\ntR.")
    broken.write_bytes(buffer.getvalue()[:-30])  # the central directory is cut off
    assert verdict(scan(broken)) is not Verdict.CLEAN


def test_custom_onnx_domains_are_suspicious(tmp_path: Path) -> None:
    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    standard = b"\x08\x08" + field(8, field(1, b"") + b"\x10\x11")
    custom = standard + field(8, field(1, b"com.example.evil") + b"\x10\x01")
    (tmp_path / "ok.onnx").write_bytes(standard)
    (tmp_path / "custom.onnx").write_bytes(custom)
    assert verdict(scan(tmp_path / "ok.onnx")) is Verdict.CLEAN
    report = scan(tmp_path / "custom.onnx")
    assert report.file_format == "onnx"
    assert verdict(report) is Verdict.SUSPICIOUS


def test_inline_byte_strings_are_skipped_not_read_into_memory(tmp_path: Path) -> None:
    path = tmp_path / "inline.pkl"
    payload = bytearray(64 * 1024 * 1024)
    path.write_bytes(pickle.dumps({"w": payload, "b": bytes(payload)}, protocol=5))
    del payload
    tracemalloc.start()
    try:
        report = SCANNER.scan_file(path, path.name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict(report) is Verdict.CLEAN
    assert peak < 8 * 1024 * 1024  # two 64 MiB byte strings walked past, not copied
