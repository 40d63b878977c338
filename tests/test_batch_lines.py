"""Line splitting for assess --batch: blocks, long lines, and line ends."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcoach.cli import assess_files


def split(data: bytes, block: int, limit: int, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    monkeypatch.setattr(assess_files, "_BLOCK", block)
    monkeypatch.setattr(assess_files, "MAX_CASE_BYTES", limit)
    return list(assess_files._lines(io.BufferedReader(io.BytesIO(data))))  # type: ignore[arg-type]


def expected(data: bytes, limit: int) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [assess_files._TOO_LONG if len(line) > limit else line for line in lines]


@given(
    st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=12),
    st.booleans(),
    st.integers(1, 17),
    st.integers(1, 25),
)
def test_lines_match_a_plain_split(
    lines: list[bytes], final_newline: bool, block: int, limit: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    with pytest.MonkeyPatch.context() as mp:
        assert split(data, block, limit, mp) == expected(data, limit)


def test_a_long_line_spanning_blocks_is_one_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"ok\n" + b"x" * 100 + b"\nafter"
    assert split(data, 7, 10, monkeypatch) == [b"ok", assess_files._TOO_LONG, b"after"]
