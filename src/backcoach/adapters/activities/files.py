"""Loose activity files: dispatch on the name (``.fit``, ``.gpx``, ``.tcx``, each optionally
``.gz``) to the right reader, with a cap on how large a file may grow once unpacked.

The readers themselves live in :mod:`.fit` (``summarise_fit``) and :mod:`.xml_tracks`
(``summarise_gpx``, ``summarise_tcx``); they are imported when first needed.

Every failure to read a file is an :class:`ActivityFileError` whose message is the reason
to show; :class:`NotAnActivityError` (a subclass) marks a valid file that holds no
activity and can be skipped quietly. One bad file never stops a batch: the caller catches
``ActivityFileError`` per file.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from backcoach.domain.running import ActivityFileError, ActivitySummary

# A decompressed activity file larger than this is refused (a 10-hour 1 Hz GPX with heart
# rate is about 10 MB; 512 MiB leaves room for anything real and stops a gzip bomb).
# Read at call time, so tests may lower it with monkeypatch.
MAX_FILE_BYTES = 512 * 1024 * 1024

ACTIVITY_KINDS: Final = ("fit", "gpx", "tcx")
NOT_AN_ACTIVITY_FILE: Final = "not an activity file (.fit, .gpx or .tcx, optionally .gz)"

_GZIP_MAGIC: Final = b"\x1f\x8b"


def activity_kind(name: str) -> tuple[str, bool] | None:
    """``("fit" | "gpx" | "tcx", gzipped)`` from a file name (case-insensitive), or None."""
    lower = name.lower()
    gzipped = lower.endswith(".gz")
    if gzipped:
        lower = lower[:-3]
    for kind in ACTIVITY_KINDS:
        if lower.endswith("." + kind):
            return kind, gzipped
    return None


def is_activity_name(name: str) -> bool:
    return activity_kind(name) is not None


def too_large(size: int | None = None) -> ActivityFileError:
    limit = MAX_FILE_BYTES
    what = f" ({size:,} bytes)" if size is not None else ""
    return ActivityFileError(f"too large once unpacked{what}: the limit is {limit:,} bytes")


def gunzip(data: bytes) -> tuple[bytes, bool]:
    """Unpack gzip ``data`` (one or more members) without ever holding more than
    :data:`MAX_FILE_BYTES` of output: ``(unpacked, complete)``, where ``complete`` is False
    when the data breaks off before the end of the stream (the bytes so far are returned).

    Raises ActivityFileError when the data is not gzip, is corrupt (bad deflate data, CRC
    or length), or unpacks past the limit ("too large once unpacked").
    """
    limit = MAX_FILE_BYTES
    if not data:
        raise ActivityFileError("empty .gz file")
    if not data.startswith(_GZIP_MAGIC):
        raise ActivityFileError("not a gzip file, though the name ends in .gz")
    out = bytearray()
    pending = data
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        while True:
            chunk = inflater.decompress(pending, limit - len(out) + 1)
            out += chunk
            if len(out) > limit:
                raise too_large()
            pending = inflater.unconsumed_tail
            if inflater.eof:
                rest = inflater.unused_data
                # Concatenated gzip members make one file; trailing NUL padding is allowed.
                if rest.strip(b"\0"):
                    if not rest.startswith(_GZIP_MAGIC):
                        break  # trailing garbage after a complete stream: ignored, as gzip does
                    pending = rest
                    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                    continue
                return bytes(out), True
            if not pending and not chunk:
                return bytes(out), False  # the input ran out before the end of the stream
    except zlib.error as exc:
        raise ActivityFileError(f"corrupt .gz file ({exc})") from None
    return bytes(out), True


def read_activity(name: str, data: bytes) -> ActivitySummary:
    """Summarise one activity file from its ``name`` (only the suffix matters) and bytes.

    ``.gz`` is unpacked (capped at :data:`MAX_FILE_BYTES`), then ``.fit``, ``.gpx`` or
    ``.tcx`` picks the reader (case-insensitive). Raises ActivityFileError (the message is
    the reason), NotAnActivityError for a valid file with no activity in it. A gzip file
    that breaks off is still read when the reader can make sense of the part that is there
    (the summary is then marked ``truncated``).

    Any unexpected exception from a reader is turned into ActivityFileError, so that one
    odd file cannot stop an import; ImportError (a reader missing) is not.
    """
    kind_gz = activity_kind(name)
    if kind_gz is None:
        raise ActivityFileError(NOT_AN_ACTIVITY_FILE)
    kind, gzipped = kind_gz
    complete = True
    if gzipped:
        data, complete = gunzip(data)
    elif len(data) > MAX_FILE_BYTES:
        raise too_large(len(data))
    if not data or data.isspace():  # (isspace, not strip: no copy of the whole file)
        raise ActivityFileError(f"empty .{kind} file")
    if kind == "fit":
        from backcoach.adapters.activities.fit import summarise_fit as summarise
    elif kind == "gpx":  # (the XML readers skip blank space and a BOM before <?xml)
        from backcoach.adapters.activities.xml_tracks import summarise_gpx as summarise
    else:
        from backcoach.adapters.activities.xml_tracks import summarise_tcx as summarise
    try:
        summary = summarise(data, name)
    except ActivityFileError as exc:
        if complete:
            raise
        raise type(exc)(f"the .gz file is cut short; {exc}") from exc
    except Exception as exc:  # a reader's bug must not stop the batch: report it per file
        reason = f"unreadable .{kind} file ({type(exc).__name__}: {exc})"
        if not complete:
            reason = f"the .gz file is cut short; {reason}"
        raise ActivityFileError(reason) from exc
    return summary if complete else summary._replace(truncated=True)


def read_bytes_capped(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a file, refusing one larger than ``limit`` (default
    :data:`MAX_FILE_BYTES`) without reading it whole; OSError becomes ActivityFileError."""
    cap = MAX_FILE_BYTES if limit is None else limit
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > cap:
                raise too_large(size)
            data = handle.read(cap + 1)  # the file may grow after the stat
    except OSError as exc:
        raise ActivityFileError(f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise too_large()
    return data


def read_activity_path(path: Path) -> ActivitySummary:
    """:func:`read_activity` on a file on disk (``str(path)`` is the summary's source)."""
    if activity_kind(path.name) is None:
        raise ActivityFileError(NOT_AN_ACTIVITY_FILE)
    return read_activity(str(path), read_bytes_capped(path))


def iter_activity_paths(paths: Sequence[Path]) -> Iterator[Path]:
    """The activity files among ``paths``: a file given is yielded as it is (so that one
    with a wrong name gets its "not an activity file" reason, and a missing one its "cannot
    read"); a folder is walked, in sorted order, keeping only names with an activity suffix
    (.fit, .gpx or .tcx, optionally .gz, any case) and skipping hidden files and folders (``.*``,
    e.g. macOS ``._x.gpx`` resource forks). Symbolic links to folders are not followed."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for folder, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = Path(folder)
            for name in sorted(names):
                if not name.startswith(".") and is_activity_name(name):
                    yield base / name
