"""Finding sets as integer bit masks: one bit per catalog finding, in catalog order.

Rules and cases are compared with a few integer operations instead of loops over
findings, which keeps a whole assessment to a few microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backcoach.domain.model import PRESENT, UNKNOWN


class FindingIndex:
    def __init__(self, finding_ids: Iterable[str]) -> None:
        self.ids: tuple[str, ...] = tuple(finding_ids)
        self.bit: dict[str, int] = {fid: 1 << i for i, fid in enumerate(self.ids)}

    def mask(self, finding_ids: Iterable[str]) -> int:
        mask = 0
        for fid in finding_ids:
            mask |= self.bit[fid]
        return mask

    def ids_in(self, mask: int) -> tuple[str, ...]:
        """The finding ids whose bits are set, in catalog order."""
        ids = []
        while mask:
            lowest = mask & -mask
            ids.append(self.ids[lowest.bit_length() - 1])
            mask ^= lowest
        return tuple(ids)

    def answer_masks(self, findings: Mapping[str, str]) -> tuple[int, int]:
        """Return (present, absent) masks; unknown answers set neither bit."""
        present = absent = 0
        bit = self.bit
        for fid, answer in findings.items():
            if answer == PRESENT:
                present |= bit[fid]
            elif answer != UNKNOWN:
                absent |= bit[fid]
        return present, absent
