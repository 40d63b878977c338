"""Vectorised assessment for ``assess --batch``.

The domain engines (``domain/triage.py``, ``domain/ranking.py``) assess one case at a time
in pure Python. For a batch, the same compiled rules and likelihood tables are evaluated
for a few thousand cases at once as numpy matrix products, and the results are written
straight to JSON from pre-encoded fragments. The answers must be identical to
``ResultWriter(catalog).to_dict(assessor.assess(case))``; ``tests/test_batch.py`` checks
that on random cases. Anything unusual (a case carrying questionnaire answers) is handed
to the scalar path.

Ranking scores are fixed-point integers held in float64: every partial sum is an integer
below 2**53, so the matrix products are exact and equal the scalar sums.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from backcoach.adapters.result_json import PROBABILITY_DIGITS, ResultWriter
from backcoach.domain.assessment import Assessor
from backcoach.domain.catalog import Catalog
from backcoach.domain.model import ABSENT, PRESENT, UNKNOWN, Case, Level
from backcoach.domain.ranking import (
    EXPLAIN_AT_LEAST,
    EXPLAIN_AT_MOST,
    EXPLAIN_MIN_PROBABILITY,
    MAX_FACTORS,
    SCALE,
)

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.intp]

_encode_str = json.encoder.encode_basestring
_SEX_CODE = {"female": 1, "male": 2, "other": 4}
_NO_NUMBER = -1  # pain or duration not given
_INVALID = -2  # _whole_number's "not plainly valid"
_QUICK_FIELDS = frozenset(
    ("id", "age", "sex", "pain_intensity", "duration_days", "findings", "text")
)
_LEVEL_IDS = [level.id for level in Level]
# round(p, 4) can only give k / 10**4; repr of that double is what the JSON encoder writes.
_STEPS: int = 10**PROBABILITY_DIGITS
_PROBABILITY_TEXT = [repr(k / _STEPS) for k in range(_STEPS + 1)]


def _whole_number(raw: dict[str, Any], name: str, high: int) -> int | None:
    """None when the field is left out, _INVALID unless it is a whole number in 0..high."""
    if name not in raw:
        return None
    value = raw[name]
    if type(value) is not int or not 0 <= value <= high:
        return _INVALID
    return value


def _q(text: str) -> str:
    result: str = _encode_str(text)
    return result


def _array(items: Sequence[str]) -> str:
    return "[" + ",".join(_q(x) for x in items) + "]"


class BatchAssessor:
    def __init__(self, catalog: Catalog, assessor: Assessor, writer: ResultWriter) -> None:
        self.assessor = assessor
        self.writer = writer
        triage = assessor.triage
        self.finding_ids = triage.index.ids
        self.position = {fid: i for i, fid in enumerate(self.finding_ids)}
        self.quoted_ids = [_q(fid) for fid in self.finding_ids]
        # Answer matrix columns: 2i for finding i present, 2i+1 for absent, so that column
        # order is catalog order (explanations break ties that way).
        self.column = {(fid, PRESENT): 2 * i for fid, i in self.position.items()}
        self.column.update({(fid, ABSENT): 2 * i + 1 for fid, i in self.position.items()})
        self.present_column = {fid: 2 * i for fid, i in self.position.items()}
        self.absent_column = {fid: 2 * i + 1 for fid, i in self.position.items()}
        self._compile_rules(triage.rules, triage.red_flags)
        self._compile_ranking(catalog)
        self._version_json = _q(catalog.version)

    # --- compile ---------------------------------------------------------------------------

    def _bits_to_vector(self, mask: int) -> Floats:
        vector = np.zeros(len(self.finding_ids))
        for i in range(len(self.finding_ids)):
            if mask >> i & 1:
                vector[i] = 1.0
        return vector

    def _compile_rules(self, rules: Sequence[Any], red_flags: int) -> None:
        self.rules = rules
        n_rules = len(rules)
        self.required = np.stack([self._bits_to_vector(c.present) for c in rules], axis=1)
        self.required_count = self.required.sum(axis=0)
        self.forbidden = np.stack([self._bits_to_vector(c.absent) for c in rules], axis=1)
        self.mentioned = np.stack([self._bits_to_vector(c.mentioned) for c in rules], axis=1)
        self.levels = np.array([int(c.level) for c in rules])
        self.red_flags = self._bits_to_vector(red_flags)
        clause_vectors, clause_need, clause_owner = [], [], []
        for r, c in enumerate(rules):
            for mask, n in c.clauses:
                clause_vectors.append(self._bits_to_vector(mask))
                clause_need.append(n)
                clause_owner.append(r)
        width = len(self.finding_ids)
        self.clauses = np.stack(clause_vectors, axis=1) if clause_vectors else np.zeros((width, 0))
        self.clause_need = np.array(clause_need, dtype=float)
        self.clause_owner = np.array(clause_owner, dtype=int)
        self.bounded = [r for r, c in enumerate(rules) if c.has_bounds]
        # Reasons are listed most urgent first, then in rule order.
        self.reason_order = np.array(
            sorted(range(n_rules), key=lambda r: (-int(rules[r].level), r))
        )
        self.reason_head = []
        self.reason_tail = []
        self.mentioned_ids = []
        # A rule without at-least clauses fires only with all its findings present, so
        # its whole reason is known in advance.
        self.reason_static: list[str | None] = []
        for c in rules:
            rule = c.rule
            self.reason_head.append(f'{{"rule":{_q(rule.id)},"level":{_q(c.level.id)},"findings":')
            self.reason_tail.append(
                f',"source":{_q(self.writer.source_text(rule.sources[0]))}'
                f',"sources":{_array(rule.sources)},"message":{_q(rule.message)}}}'
            )
            self.mentioned_ids.append(self.assessor.triage.index.ids_in(c.mentioned))
            self.reason_static.append(
                None
                if c.clauses
                else self.reason_head[-1] + _array(self.mentioned_ids[-1]) + self.reason_tail[-1]
            )

    def _compile_ranking(self, catalog: Catalog) -> None:
        ranking = self.assessor.ranking
        n_findings, n_conditions = len(self.finding_ids), len(ranking.condition_ids)
        weights = np.zeros((2 * n_findings + 1, n_conditions))  # last row: the "never" column
        for fid, terms in ranking.present_terms.items():
            for i, w in terms:
                weights[2 * self.position[fid], i] = w
        for fid, terms in ranking.absent_terms.items():
            for i, w in terms:
                weights[2 * self.position[fid] + 1, i] = w
        if np.abs(weights).sum(axis=0).max() >= 2.0**52:
            raise ValueError("likelihood ratios too large for exact fixed-point sums")
        self.weights = weights
        # Explanation strengths per (answer column, condition), split by direction.
        raises: list[list[tuple[float, int]]] = [[] for _ in range(n_conditions)]
        lowers: list[list[tuple[float, int]]] = [[] for _ in range(n_conditions)]
        self.factor_json: list[list[str]] = [[""] * (2 * n_findings) for _ in range(n_conditions)]
        for i, rows in enumerate(ranking.evidence_rows):
            for row in rows:
                for column, answer, lr, strength in (
                    (2 * row.position, PRESENT, row.lr_present, row.strength_present),
                    (2 * row.position + 1, ABSENT, row.lr_absent, row.strength_absent),
                ):
                    if lr > 1.0:
                        raises[i].append((-strength, column))
                    elif lr < 1.0:
                        lowers[i].append((-strength, column))
                    self.factor_json[i][column] = (
                        f'{{"finding":{_q(row.finding)},"answer":"{answer}","lr":{round(lr, 3)!r}}}'
                    )
        # Per condition, the answer columns that can explain it, strongest first (catalog
        # order on ties), padded with a column that is never set.
        self.never = 2 * n_findings
        width = max(len(x) for x in raises + lowers)
        self.raise_columns = np.full((n_conditions, width), self.never)
        self.lower_columns = np.full((n_conditions, width), self.never)
        for i in range(n_conditions):
            for target, found in ((self.raise_columns, raises[i]), (self.lower_columns, lowers[i])):
                columns = [column for _, column in sorted(found)]
                target[i, : len(columns)] = columns
        self.entry_text: list[str] = [""] * (n_conditions * (_STEPS + 1))
        self.entry_made = np.zeros(len(self.entry_text), dtype=bool)
        self.condition_head = [f'{{"id":{_q(cid)},"probability":' for cid in ranking.condition_ids]

    # --- parse -----------------------------------------------------------------------------

    def quick_case(self, raw: Any) -> tuple[Case, list[int]] | None:
        """A case and its answer columns, when ``raw`` is plainly valid; else None.

        Only an acceptance shortcut for the common case: anything it does not accept
        goes through ``caseio.case_from_dict``, which gives every error its message.
        It accepts nothing that validator would refuse (tests/test_batch.py checks).
        """
        if type(raw) is not dict or not raw.keys() <= _QUICK_FIELDS:
            return None
        age, sex = raw.get("age"), raw.get("sex")
        if (
            type(age) is not int
            or not 0 <= age <= 120
            or type(sex) is not str
            or sex not in _SEX_CODE
        ):
            return None
        pain = _whole_number(raw, "pain_intensity", 10)
        duration = _whole_number(raw, "duration_days", 36500)
        if pain == _INVALID or duration == _INVALID:
            return None
        case_id, text = raw.get("id"), raw.get("text")
        if case_id is not None and (type(case_id) is not str or len(case_id) > 200):
            return None
        if text is not None and (type(text) is not str or len(text) > 5000):
            return None
        findings = raw.get("findings")
        if type(findings) is not dict:
            return None
        present_column, absent_column = self.present_column, self.absent_column
        answered = {}
        columns = []
        for fid, answer in findings.items():
            if answer == PRESENT:
                column = present_column.get(fid)
            elif answer == ABSENT:
                column = absent_column.get(fid)
            elif answer == UNKNOWN and fid in present_column:
                continue
            else:
                return None
            if column is None:
                return None
            answered[fid] = answer
            columns.append(column)
        # Positional, in Case's field order: age, sex, findings, pain, duration, id, text.
        case = Case(age, sex, answered, pain, duration, case_id, text)  # type: ignore[arg-type]
        return case, columns

    # --- assess ----------------------------------------------------------------------------

    def encode(
        self, cases: Sequence[Case], columns: Sequence[list[int] | None] | None = None
    ) -> list[str]:
        """JSON lines, one per case, equal to the scalar path's results.

        ``columns`` may give each case's answer columns from ``quick_case``.
        """
        known = [None] * len(cases) if columns is None else columns
        if not any(case.questionnaires for case in cases):
            return self._encode_simple(cases, known)
        simple = [i for i, case in enumerate(cases) if not case.questionnaires]
        out = [""] * len(cases)
        if simple:
            encoded = self._encode_simple([cases[i] for i in simple], [known[i] for i in simple])
            for i, line in zip(simple, encoded, strict=True):
                out[i] = line
        for i, case in enumerate(cases):
            if case.questionnaires:
                result = self.writer.to_dict(self.assessor.assess(case))
                out[i] = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        return out

    def _answers(self, cases: Sequence[Case], known: Sequence[list[int] | None]) -> Floats:
        """(cases x answer columns) of 0/1, plus one last column that is always 0."""
        column = self.column.__getitem__
        per_case = [
            given if given is not None else list(map(column, case.findings.items()))
            for case, given in zip(cases, known, strict=True)
        ]
        counts = [len(c) for c in per_case]
        cols = np.fromiter(chain.from_iterable(per_case), dtype=np.intp, count=sum(counts))
        rows = np.repeat(np.arange(len(cases)), counts)
        answers = np.zeros((len(cases), 2 * len(self.finding_ids) + 1))
        answers[rows, cols] = 1.0
        return answers

    def _strongest(self, answers: Floats, candidates: Ints) -> tuple[Ints, Ints]:
        """The first MAX_FACTORS answered columns of each candidate list, and how many.

        ``candidates`` is (cases, places, width), each list already strongest first.
        """
        rows = np.arange(len(answers))[:, None, None]
        answered = answers[rows, candidates] > 0
        rank = np.cumsum(answered, axis=2)
        picked = answered & (rank <= MAX_FACTORS)
        # Scatter each picked candidate to its place among the picked (rank - 1).
        case, place, slot = np.nonzero(picked)
        chosen: Ints = np.full((*candidates.shape[:2], MAX_FACTORS), self.never)
        chosen[case, place, rank[case, place, slot] - 1] = candidates[case, place, slot]
        count: Ints = np.minimum(rank[:, :, -1], MAX_FACTORS)
        return chosen, count

    @staticmethod
    def _numbers(cases: Sequence[Case]) -> Ints:
        """(cases x 4): age, sex code, duration and pain (_NO_NUMBER when not given)."""
        return np.array(
            [
                (
                    c.age,
                    _SEX_CODE[c.sex],
                    _NO_NUMBER if c.duration_days is None else c.duration_days,
                    _NO_NUMBER if c.pain_intensity is None else c.pain_intensity,
                )
                for c in cases
            ]
        )

    def _priors(self, cases: Sequence[Case], numbers: Ints) -> Floats:
        """Log priors per case; cases that share age, sex and duration bucket share a row."""
        ranking = self.assessor.ranking
        edges = np.array(ranking.duration_edges, dtype=float)
        age, sex, duration = numbers[:, 0], numbers[:, 1], numbers[:, 2]
        bucket = np.where(duration < 0, -1, np.searchsorted(edges, duration, side="right"))
        keys = (age * 8 + sex) * (len(edges) + 2) + bucket + 1
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = [
            ranking.log_priors(cases[i].age, cases[i].sex, cases[i].duration_days)
            for i in first.tolist()
        ]
        table: Floats = np.array(rows, dtype=float)[inverse.reshape(-1)]
        return table

    def _bounds(self, numbers: Ints, *, could: bool) -> Bools:
        """(cases x bounded rules): do the age, sex, duration and pain bounds hold?"""
        age, sex, duration, pain = numbers.T
        no_duration, no_pain = duration == _NO_NUMBER, pain == _NO_NUMBER
        holds = np.ones((len(numbers), len(self.bounded)), dtype=bool)
        for k, r in enumerate(self.bounded):
            rule = self.rules[r].rule
            ok = holds[:, k]
            if rule.age_min is not None:
                ok &= age >= rule.age_min
            if rule.age_max is not None:
                ok &= age <= rule.age_max
            if rule.sexes:
                ok &= (sex & sum(_SEX_CODE[s] for s in rule.sexes)) > 0
            if rule.duration_min is not None or rule.duration_max is not None:
                in_range = np.ones(len(numbers), dtype=bool)
                if rule.duration_min is not None:
                    in_range &= duration >= rule.duration_min
                if rule.duration_max is not None:
                    in_range &= duration <= rule.duration_max
                unknown_ok = could or rule.fire_if_duration_unknown
                ok &= np.where(no_duration, unknown_ok, in_range)
            if rule.pain_min is not None:
                ok &= np.where(no_pain, could, pain >= rule.pain_min)
        return holds

    def _encode_simple(self, cases: Sequence[Case], known: Sequence[list[int] | None]) -> list[str]:
        answers = self._answers(cases, known)
        numbers = self._numbers(cases)
        present, absent = answers[:, 0:-1:2], answers[:, 1:-1:2]

        # Triage: which rules fire.
        fires = present @ self.required == self.required_count
        fires &= present @ self.forbidden == 0
        clause_counts = present @ self.clauses
        clause_ok = clause_counts >= self.clause_need
        for k, r in enumerate(self.clause_owner):
            fires[:, r] &= clause_ok[:, k]
        if self.bounded:
            fires[:, self.bounded] &= self._bounds(numbers, could=False)
        levels = np.where(fires, self.levels + 1, 0).max(axis=1) - 1
        levels = np.maximum(levels, int(Level.SELF_CARE))
        level_of_case = levels.tolist()

        # Which unanswered red flags could still raise the level.
        could = (absent @ self.required == 0) & (present @ self.forbidden == 0)
        worst_counts = (1.0 - absent) @ self.clauses
        worst_ok = worst_counts >= self.clause_need
        for k, r in enumerate(self.clause_owner):
            could[:, r] &= worst_ok[:, k]
        if self.bounded:
            could[:, self.bounded] &= self._bounds(numbers, could=True)
        open_red_flags = (1.0 - present - absent) * self.red_flags
        could &= open_red_flags @ self.mentioned > 0
        could &= self.levels > levels[:, None]
        unanswered = (could.astype(float) @ self.mentioned.T > 0) & (open_red_flags > 0)
        raise_to = (np.where(could, self.levels + 1, 0).max(axis=1) - 1).tolist()

        # Ranking.
        priors = self._priors(cases, numbers)
        scores = priors + answers @ self.weights
        order = np.argsort(-scores, axis=1, kind="stable")
        probabilities = np.exp((scores - scores.max(axis=1, keepdims=True)) / SCALE)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        ranked = np.take_along_axis(probabilities, order, axis=1)
        ten_thousandths = ranked * _STEPS
        rounded = np.rint(ten_thousandths).astype(int)
        # numpy's exp and sum may differ from the scalar path in the last bit. That only
        # matters for a value within a hair of a rounding or explaining boundary; such
        # rows are redone exactly as the scalar path does them.
        fraction = ten_thousandths - np.floor(ten_thousandths)
        doubtful = (np.abs(fraction - 0.5) < 1e-6).any(axis=1)
        doubtful |= (np.abs(ranked - EXPLAIN_MIN_PROBABILITY) < 1e-12).any(axis=1)
        explains = np.zeros_like(ranked, dtype=bool)
        explains[:, :EXPLAIN_AT_LEAST] = True
        explains[:, EXPLAIN_AT_LEAST:EXPLAIN_AT_MOST] = (
            ranked[:, EXPLAIN_AT_LEAST:EXPLAIN_AT_MOST] >= EXPLAIN_MIN_PROBABILITY
        )

        # Explanations for the top conditions: strongest answers first, catalog order on ties.
        explained = order[:, :EXPLAIN_AT_MOST]
        both = np.concatenate(
            [self.raise_columns[explained], self.lower_columns[explained]], axis=1
        )
        chosen, count = self._strongest(answers, both)
        raise_top, lower_top = chosen[:, :EXPLAIN_AT_MOST], chosen[:, EXPLAIN_AT_MOST:]
        raise_count, lower_count = count[:, :EXPLAIN_AT_MOST], count[:, EXPLAIN_AT_MOST:]

        fired_rows, fired_cols = np.nonzero(fires[:, self.reason_order])
        fired_by_case: list[list[int]] = [[] for _ in cases]
        reason_rule = self.reason_order.tolist()
        for row, col in zip(fired_rows.tolist(), fired_cols.tolist(), strict=True):
            fired_by_case[row].append(reason_rule[col])
        open_rows, open_cols = np.nonzero(unanswered)
        open_by_case: list[list[str]] = [[] for _ in cases]
        for row, col in zip(open_rows.tolist(), open_cols.tolist(), strict=True):
            open_by_case[row].append(self.quoted_ids[col])

        heads = self._ranking_heads(
            order, rounded, explains, raise_top, raise_count, lower_top, lower_count
        )
        lines = []
        for i, case in enumerate(cases):
            if doubtful[i]:
                result = self.writer.to_dict(self.assessor.assess(case))
                lines.append(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
                continue
            lines.append(
                self._line(
                    case, level_of_case[i], fired_by_case[i], heads[i], open_by_case[i], raise_to[i]
                )
            )
        return lines

    def _ranking_heads(
        self,
        order: Ints,
        rounded: Ints,
        explains: Bools,
        raise_top: Ints,
        raise_count: Ints,
        lower_top: Ints,
        lower_count: Ints,
    ) -> list[str]:
        """Each case's "conditions" array.

        An entry without an explanation depends only on (condition, rounded probability):
        those strings are made once and looked up by number.
        """
        entry = order * (_STEPS + 1) + rounded
        wanted = np.unique(entry)
        for key in wanted[~self.entry_made[wanted]].tolist():
            c, k = divmod(key, _STEPS + 1)
            self.entry_text[key] = self.condition_head[c] + _PROBABILITY_TEXT[k] + "}"
        self.entry_made[wanted] = True
        explain = (explains[:, :EXPLAIN_AT_MOST] & ((raise_count + lower_count) > 0)).tolist()
        factor_json = self.factor_json
        tops, ups, downs = order.tolist(), raise_top.tolist(), lower_top.tolist()
        up_counts, down_counts = raise_count.tolist(), lower_count.tolist()
        width = entry.shape[1]
        flat = list(map(self.entry_text.__getitem__, entry.ravel().tolist()))
        heads = []
        for i in range(len(entry)):
            items = flat[i * width : (i + 1) * width]
            for place, wanted_why in enumerate(explain[i]):
                if wanted_why:
                    factor = factor_json[tops[i][place]].__getitem__
                    up = ",".join(map(factor, ups[i][place][: up_counts[i][place]]))
                    down = ",".join(map(factor, downs[i][place][: down_counts[i][place]]))
                    items[place] = f'{items[place][:-1]},"raised_by":[{up}],"lowered_by":[{down}]}}'
            heads.append(",".join(items))
        return heads

    def _line(
        self,
        case: Case,
        level: int,
        fired: list[int],
        ranking: str,
        flags: list[str],
        raise_to: int,
    ) -> str:
        parts = ["{"]
        if case.id is not None:
            parts.append(f'"id":{_q(case.id)},')
        reasons = []
        for r in fired:
            static = self.reason_static[r]
            if static is None:
                found = [f for f in self.mentioned_ids[r] if case.findings.get(f) == PRESENT]
                static = self.reason_head[r] + _array(found) + self.reason_tail[r]
            reasons.append(static)
        parts.append(f'"triage":{{"level":"{_LEVEL_IDS[level]}","reasons":[{",".join(reasons)}]}},')
        parts.append(f'"conditions":[{ranking}],')
        parts.append(f'"unanswered_red_flags":[{",".join(flags)}],')
        parts.append(f'"provisional":{"true" if flags else "false"},')
        if raise_to >= 0:
            parts.append(f'"could_raise_to":"{_LEVEL_IDS[raise_to]}",')
        parts.append(f'"content_version":{self._version_json}}}')
        return "".join(parts)
