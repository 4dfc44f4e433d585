"""Manifest paths cannot escape the folder a version is pulled into, whatever the registry sends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelreg.client.files import safe_target
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.rules import validate_file_path

ESCAPES = {
    "../evil.txt": "'..'",
    "a/../../evil.txt": "'..'",
    "/etc/passwd": "absolute",
    "C:/Windows/evil.txt": "drive letter",
    "c:evil.txt": "drive letter",
    "a\\..\\evil.txt": "backslash",
    "a\x00b": "NUL",
    "a/\x1bb": "control character",
    "a//b": "empty",
    "./a": "'.'",
    "a/": "empty",
    "CON": "device name",
    "models/nul.txt": "device name",
    "Com1.bin": "device name",
    "lpt9": "device name",
    "": "non-empty",
    "x" * 1025: "longer than",
}


@pytest.mark.parametrize(("path", "problem"), ESCAPES.items(), ids=list(map(repr, ESCAPES)))
def test_escaping_paths_are_refused(path: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=problem):
        validate_file_path(path)
    with pytest.raises(InvalidArgumentError, match=problem):
        safe_target(tmp_path, path)


@pytest.mark.parametrize(
    "path", ["a.bin", "sub/dir/x.json", "console.txt", "conx", "nul_", ".hidden"]
)
def test_ordinary_paths_are_kept(path: str, tmp_path: Path) -> None:
    assert validate_file_path(path) == path
    assert safe_target(tmp_path, path) == tmp_path.resolve().joinpath(*path.split("/"))


def test_a_symlinked_folder_leading_outside_is_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "dest", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidArgumentError, match="outside"):
        safe_target(root, "sub/evil.txt")
    with pytest.raises(InvalidArgumentError, match="outside"):
        safe_target(root, "sub/deeper/evil.txt")


def test_a_symlinked_file_is_not_written_through(tmp_path: Path) -> None:
    root = tmp_path / "dest"
    root.mkdir()
    (root / "weights.bin").symlink_to(tmp_path / "victim")
    with pytest.raises(InvalidArgumentError, match="symlink"):
        safe_target(root, "weights.bin")


def test_a_symlink_that_stays_inside_is_fine(tmp_path: Path) -> None:
    root = tmp_path / "dest"
    (root / "real").mkdir(parents=True)
    os.symlink(root / "real", root / "alias", target_is_directory=True)
    assert safe_target(root, "alias/x.bin").parent.resolve() == (root / "real").resolve()
