"""The test helper for random file content never draws bytes the scanner reads as a format."""

from __future__ import annotations

import pytest

from modelreg.scanning.formats import HEAD_SIZE, Format, detect
from tests.factories import opaque_bytes


@pytest.mark.parametrize("name", ["model.onnx", "weights.bin", "model.pkl", "w.safetensors"])
def test_opaque_bytes_are_plain_data_under_any_name(name: str):
    for size in (1, 2, 9, 4096):
        for _ in range(500):
            head = opaque_bytes(size)[:HEAD_SIZE]
            assert len(head) == size
            assert detect(head, name) is Format.DATA


def test_a_random_draw_can_start_like_an_onnx_model():
    """Why the helper exists: one draw in 256 of plain random bytes starts with 0x08."""
    assert detect(b"\x08" + bytes(100), "model.onnx") is Format.ONNX
    assert opaque_bytes(0) == b""
