"""``backcoach assess --case FILE`` and ``--batch FILE``: the machine interface of shared/spec."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from backcoach.adapters.caseio import CaseError, parse_case_text
from backcoach.adapters.result_json import ResultWriter
from backcoach.cli.engine import assessor, catalog

if TYPE_CHECKING:
    from backcoach.domain.model import Assessment
from backcoach.cli.errors import EXIT_OK, EXIT_SOME_BAD_LINES, UserError
from backcoach.domain.model import Case

# A valid case is a few kilobytes (text is capped at 5,000 characters); anything far larger
# is refused before it is parsed.
MAX_CASE_BYTES = 1 << 20
_TOO_LONG = b"\0too long"
_BLOCK = 1 << 20


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise UserError("cannot read standard input: it is closed")
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a case file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot open ({exc.strerror})") from None


def _label(path: str) -> str:
    return "standard input" if path == "-" else path


def read_case(path: str) -> Case:
    """One case file (or - for stdin), validated; UserError naming the file and field."""
    fh = _open_input(path)
    try:
        data = fh.read(MAX_CASE_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{_label(path)}: cannot read ({exc.strerror})") from None
    finally:
        if fh is not getattr(sys.stdin, "buffer", None):
            fh.close()
    if len(data) > MAX_CASE_BYTES:
        raise UserError(f"{_label(path)}: larger than 1 MB, which no case file is")
    if not data.strip():
        raise UserError(f"{_label(path)}: the file is empty; expected one JSON case")
    try:
        return parse_case_text(data, assessor().triage.index.bit)
    except CaseError as exc:
        raise UserError(f"{_label(path)}: {exc}") from None


def run_case(path: str, out: IO[str], *, as_json: bool, color: bool, record: bool = False) -> int:
    assessment = assessor().assess(read_case(path))
    if record:
        _record(assessment)
    if as_json:
        result = ResultWriter(catalog()).to_dict(assessment)
        out.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    else:
        from backcoach.cli.render import render_assessment

        out.write(render_assessment(assessment, catalog(), color=color))
    return EXIT_OK


def _record(assessment: Assessment) -> None:
    """Keep the assessment in the person's record (the database is opened only here, so
    plain ``assess --case`` stays fast)."""
    from backcoach.cli import clock
    from backcoach.cli.store import open_user_store
    from backcoach.services.recovery import record_assessment

    result = ResultWriter(catalog()).to_dict(assessment)
    record_assessment(open_user_store(), assessment.case, result, now=clock.now())


def _lines(fh: IO[bytes]) -> Iterator[bytes]:
    """The lines of ``fh`` (without their newline), read in large blocks.

    A line longer than MAX_CASE_BYTES is never held whole: it is dropped as it streams
    past and reported as _TOO_LONG.
    """
    read = getattr(fh, "read1", fh.read)  # read1: whatever a pipe has, without waiting
    carry = b""  # the start of an unfinished line
    dropping = False  # inside a line already known to be too long
    while block := read(_BLOCK):
        pieces = block.split(b"\n")
        for piece in pieces[:-1]:
            if dropping:
                dropping = False
                yield _TOO_LONG
                continue
            line = carry + piece if carry else piece
            carry = b""
            yield _TOO_LONG if len(line) > MAX_CASE_BYTES else line
        if not dropping:
            carry = carry + pieces[-1] if carry else pieces[-1]
            if len(carry) > MAX_CASE_BYTES:
                dropping, carry = True, b""
    if dropping:
        yield _TOO_LONG
    elif carry:
        yield carry


CHUNK = 512  # cases assessed together; larger chunks spill out of the CPU cache


def run_batch(path: str, out: IO[str]) -> int:
    import orjson  # parses a case in half the time of the json module

    from backcoach.adapters.batch import BatchAssessor

    fh = _open_input(path)
    engine = assessor()
    known = engine.triage.index.bit
    batch = BatchAssessor(catalog(), engine, ResultWriter(catalog()))
    loads = orjson.loads
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    progress = _Progress(fh, path)
    bad: list[str] = []
    pending: list[str | Case] = []  # in input order: an error line, or a case to assess
    columns: list[list[int] | None] = []  # answer columns of each pending case, if known
    count = 0

    def flush() -> None:
        if len(pending) == len(columns):  # no error lines in this chunk
            out.write("\n".join(batch.encode(pending, columns)))  # type: ignore[arg-type]
        else:
            cases = [item for item in pending if not isinstance(item, str)]
            results = iter(batch.encode(cases, columns))
            out.write(
                "\n".join(item if isinstance(item, str) else next(results) for item in pending)
            )
        out.write("\n")
        pending.clear()
        columns.clear()
        progress.show(count)

    try:
        for count, line in enumerate(_lines(fh), start=1):
            try:
                quick = None
                if line is not _TOO_LONG:
                    try:
                        quick = batch.quick_case(loads(line))
                    except ValueError:
                        quick = None
                if quick is not None:
                    pending.append(quick[0])
                    columns.append(quick[1])
                    continue
                # Not plainly valid: the full validator names the problem (or accepts it).
                if line is _TOO_LONG:
                    raise CaseError(None, "line is longer than 1 MB, which no case is")
                if not line.strip():
                    raise CaseError(None, "empty line; expected one JSON case")
                pending.append(parse_case_text(line, known, loads=orjson.loads))
                columns.append(None)
            except CaseError as exc:
                bad.append(f"line {count}: {exc}")
                item: dict[str, Any] = {"line": count, "id": exc.case_id, "error": str(exc)}
                pending.append(encode(item))
            finally:
                if len(columns) >= CHUNK:
                    flush()
    except OSError as exc:
        raise UserError(f"{_label(path)}: cannot read ({exc.strerror})") from None
    finally:
        if fh is not getattr(sys.stdin, "buffer", None):
            fh.close()
    if pending:
        flush()
    progress.done(count)
    out.flush()
    if count == 0:
        raise UserError(f"{_label(path)}: the file is empty; expected JSON Lines, one case a line")
    if bad:
        print(
            f"backcoach: {len(bad)} of {count} lines were not valid cases; first: {bad[0]}",
            file=sys.stderr,
        )
        return EXIT_SOME_BAD_LINES
    return EXIT_OK


class _Progress:
    """A one-line progress report on stderr, only when a person is watching."""

    def __init__(self, fh: IO[bytes], path: str) -> None:
        self.enabled = sys.stderr is not None and sys.stderr.isatty()
        self.fh = fh
        self.size = 0
        if self.enabled and path != "-":
            with contextlib.suppress(OSError):
                self.size = os.fstat(fh.fileno()).st_size

    def show(self, count: int) -> None:
        if not self.enabled:
            return
        text = f"\rassessed {count:,} cases"
        if self.size:
            with contextlib.suppress(OSError):
                text += f" ({100 * self.fh.tell() // self.size}%)"
        sys.stderr.write(text)
        sys.stderr.flush()

    def done(self, count: int) -> None:
        if self.enabled:
            sys.stderr.write(f"\rassessed {count:,} cases.{' ' * 10}\n")
