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
from backcoach.domain.model import ABSENT, PRESENT, Case, Level
from backcoach.domain.ranking import (
    EXPLAIN_AT_LEAST,
    EXPLAIN_AT_MOST,
    EXPLAIN_MIN_PROBABILITY,
    MAX_FACTORS,
    SCALE,
)

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_encode_str = json.encoder.encode_basestring
_SEX_CODE = {"female": 1, "male": 2, "other": 4}
_NO_NUMBER = -1  # pain or duration not given
_LEVEL_IDS = [level.id for level in Level]
# round(p, 4) can only give k / 10**4; repr of that double is what the JSON encoder writes.
_PROBABILITY_TEXT = [repr(k / 10**PROBABILITY_DIGITS) for k in range(10**PROBABILITY_DIGITS + 1)]


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
        # Answer matrix columns: 2i for finding i present, 2i+1 for absent, so that column
        # order is catalog order (explanations break ties that way).
        self.present_column = {fid: 2 * i for fid, i in self.position.items()}
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
        for c in rules:
            rule = c.rule
            self.reason_head.append(f'{{"rule":{_q(rule.id)},"level":{_q(c.level.id)},"findings":')
            self.reason_tail.append(
                f',"source":{_q(self.writer.source_text(rule.sources[0]))}'
                f',"sources":{_array(rule.sources)},"message":{_q(rule.message)}}}'
            )
            self.mentioned_ids.append(self.assessor.triage.index.ids_in(c.mentioned))

    def _compile_ranking(self, catalog: Catalog) -> None:
        ranking = self.assessor.ranking
        n_findings, n_conditions = len(self.finding_ids), len(ranking.condition_ids)
        weights = np.zeros((2 * n_findings, n_conditions))
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
        self.raises = np.zeros((n_conditions, 2 * n_findings))
        self.lowers = np.zeros((n_conditions, 2 * n_findings))
        self.factor_json: list[list[str]] = [[""] * (2 * n_findings) for _ in range(n_conditions)]
        for i, rows in enumerate(ranking.evidence_rows):
            for row in rows:
                for column, answer, lr, strength in (
                    (2 * row.position, PRESENT, row.lr_present, row.strength_present),
                    (2 * row.position + 1, ABSENT, row.lr_absent, row.strength_absent),
                ):
                    if lr > 1.0:
                        self.raises[i, column] = strength
                    elif lr < 1.0:
                        self.lowers[i, column] = strength
                    self.factor_json[i][column] = (
                        f'{{"finding":{_q(row.finding)},"answer":"{answer}","lr":{round(lr, 3)!r}}}'
                    )
        self.condition_head = [f'{{"id":{_q(cid)},"probability":' for cid in ranking.condition_ids]

    # --- assess ----------------------------------------------------------------------------

    def encode(self, cases: Sequence[Case]) -> list[str]:
        """JSON lines, one per case, equal to the scalar path's results."""
        simple = [i for i, case in enumerate(cases) if not case.questionnaires]
        out = [""] * len(cases)
        if simple:
            for i, line in zip(
                simple, self._encode_simple([cases[i] for i in simple]), strict=True
            ):
                out[i] = line
        for i, case in enumerate(cases):
            if case.questionnaires:
                result = self.writer.to_dict(self.assessor.assess(case))
                out[i] = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        return out

    def _answers(self, cases: Sequence[Case]) -> Floats:
        column = self.present_column
        per_case = [
            [column[fid] + (answer != PRESENT) for fid, answer in case.findings.items()]
            for case in cases
        ]
        rows = np.repeat(np.arange(len(cases)), [len(c) for c in per_case])
        cols = np.fromiter(chain.from_iterable(per_case), dtype=np.intp, count=len(rows))
        answers = np.zeros((len(cases), 2 * len(self.finding_ids)))
        answers[rows, cols] = 1.0
        return answers

    def _bounds(self, cases: Sequence[Case], *, could: bool) -> Bools:
        """(cases x bounded rules): do the age, sex, duration and pain bounds hold?"""
        age = np.array([c.age for c in cases])
        sex = np.array([_SEX_CODE[c.sex] for c in cases])
        duration = np.array(
            [_NO_NUMBER if c.duration_days is None else c.duration_days for c in cases]
        )
        pain = np.array(
            [_NO_NUMBER if c.pain_intensity is None else c.pain_intensity for c in cases]
        )
        no_duration, no_pain = duration == _NO_NUMBER, pain == _NO_NUMBER
        holds = np.ones((len(cases), len(self.bounded)), dtype=bool)
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
                in_range = np.ones(len(cases), dtype=bool)
                if rule.duration_min is not None:
                    in_range &= duration >= rule.duration_min
                if rule.duration_max is not None:
                    in_range &= duration <= rule.duration_max
                unknown_ok = could or rule.fire_if_duration_unknown
                ok &= np.where(no_duration, unknown_ok, in_range)
            if rule.pain_min is not None:
                ok &= np.where(no_pain, could, pain >= rule.pain_min)
        return holds

    def _encode_simple(self, cases: Sequence[Case]) -> list[str]:
        answers = self._answers(cases)
        present, absent = answers[:, 0::2], answers[:, 1::2]

        # Triage: which rules fire.
        fires = present @ self.required == self.required_count
        fires &= present @ self.forbidden == 0
        clause_counts = present @ self.clauses
        clause_ok = clause_counts >= self.clause_need
        for k, r in enumerate(self.clause_owner):
            fires[:, r] &= clause_ok[:, k]
        if self.bounded:
            fires[:, self.bounded] &= self._bounds(cases, could=False)
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
            could[:, self.bounded] &= self._bounds(cases, could=True)
        open_red_flags = (1.0 - present - absent) * self.red_flags
        could &= open_red_flags @ self.mentioned > 0
        could &= self.levels > levels[:, None]
        unanswered = (could.astype(float) @ self.mentioned.T > 0) & (open_red_flags > 0)
        raise_to = (np.where(could, self.levels + 1, 0).max(axis=1) - 1).tolist()

        # Ranking.
        ranking = self.assessor.ranking
        priors = np.array(
            [ranking.log_priors(c.age, c.sex, c.duration_days) for c in cases], dtype=float
        )
        scores = priors + answers @ self.weights
        order = np.argsort(-scores, axis=1, kind="stable")
        probabilities = np.exp((scores - scores.max(axis=1, keepdims=True)) / SCALE)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        ranked = np.take_along_axis(probabilities, order, axis=1)
        ten_thousandths = ranked * 10**PROBABILITY_DIGITS
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
        raise_strength = answers[:, None, :] * self.raises[explained]
        lower_strength = answers[:, None, :] * self.lowers[explained]
        raise_top = np.argsort(-raise_strength, axis=2, kind="stable")[:, :, :MAX_FACTORS]
        lower_top = np.argsort(-lower_strength, axis=2, kind="stable")[:, :, :MAX_FACTORS]
        raise_used = np.take_along_axis(raise_strength, raise_top, axis=2) > 0
        lower_used = np.take_along_axis(lower_strength, lower_top, axis=2) > 0

        fired_rows, fired_cols = np.nonzero(fires[:, self.reason_order])
        fired_by_case: list[list[int]] = [[] for _ in cases]
        reason_rule = self.reason_order.tolist()
        for row, col in zip(fired_rows.tolist(), fired_cols.tolist(), strict=True):
            fired_by_case[row].append(reason_rule[col])
        open_rows, open_cols = np.nonzero(unanswered)
        open_by_case: list[list[str]] = [[] for _ in cases]
        for row, col in zip(open_rows.tolist(), open_cols.tolist(), strict=True):
            open_by_case[row].append(self.finding_ids[col])

        columns = (
            np.where(raise_used, raise_top, -1).tolist(),
            np.where(lower_used, lower_top, -1).tolist(),
        )
        orders, counts, explain_flags = order.tolist(), rounded.tolist(), explains.tolist()
        lines = []
        for i, case in enumerate(cases):
            if doubtful[i]:
                result = self.writer.to_dict(self.assessor.assess(case))
                lines.append(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
                continue
            lines.append(
                self._line(
                    case,
                    level_of_case[i],
                    fired_by_case[i],
                    orders[i],
                    counts[i],
                    explain_flags[i],
                    columns[0][i],
                    columns[1][i],
                    open_by_case[i],
                    raise_to[i],
                )
            )
        return lines

    def _line(
        self,
        case: Case,
        level: int,
        fired: list[int],
        order: list[int],
        counts: list[int],
        explain: list[bool],
        raised: list[list[int]],
        lowered: list[list[int]],
        flags: list[str],
        raise_to: int,
    ) -> str:
        parts = ["{"]
        if case.id is not None:
            parts.append(f'"id":{_q(case.id)},')
        reasons = []
        for r in fired:
            found = [f for f in self.mentioned_ids[r] if case.findings.get(f) == PRESENT]
            reasons.append(self.reason_head[r] + _array(found) + self.reason_tail[r])
        parts.append(f'"triage":{{"level":"{_LEVEL_IDS[level]}","reasons":[{",".join(reasons)}]}},')
        heads, texts = self.condition_head, _PROBABILITY_TEXT
        items = []
        for place in range(EXPLAIN_AT_MOST):
            c = order[place]
            head = heads[c] + texts[counts[place]]
            if explain[place]:
                factors = self.factor_json[c]
                up = [factors[col] for col in raised[place] if col >= 0]
                down = [factors[col] for col in lowered[place] if col >= 0]
                if up or down:
                    head += f',"raised_by":[{",".join(up)}],"lowered_by":[{",".join(down)}]'
            items.append(head + "}")
        items += [
            heads[c] + texts[k] + "}"
            for c, k in zip(order[EXPLAIN_AT_MOST:], counts[EXPLAIN_AT_MOST:], strict=True)
        ]
        parts.append(f'"conditions":[{",".join(items)}],')
        parts.append(f'"unanswered_red_flags":{_array(flags)},')
        parts.append(f'"provisional":{"true" if flags else "false"},')
        if raise_to >= 0:
            parts.append(f'"could_raise_to":"{_LEVEL_IDS[raise_to]}",')
        parts.append(f'"content_version":{self._version_json}}}')
        return "".join(parts)
