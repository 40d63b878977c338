"""Likely causes: an explainable naive-Bayes ranking.

Each condition starts from a prior (how common it is among people with back pain,
adjusted by age, sex and how long it has lasted) and each answered finding multiplies its
odds by a likelihood ratio: ``lr_present`` when present, ``lr_absent`` when absent. An
unanswered finding changes nothing. The ratios that moved a condition are its "why".
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from typing import NamedTuple

from backcoach.domain.catalog import Condition, ConditionModel, Evidence
from backcoach.domain.model import PRESENT, Case, Factor, RankedCondition

# The top few conditions carry their "why", and so do the next ones down to this
# probability, up to a limit: the rest are too unlikely to be worth explaining.
EXPLAIN_MIN_PROBABILITY = 0.01
EXPLAIN_AT_LEAST = 3
EXPLAIN_AT_MOST = 3
# Each explained condition lists its strongest answers on each side (largest |log LR|;
# ties in catalog order).
MAX_FACTORS = 5

# Log-odds are summed as fixed-point integers: integer sums are exact, so the result does
# not depend on the order in which a case lists its findings.
SCALE = 1 << 32


def _fixed(log_value: float) -> int:
    return round(log_value * SCALE)


class EvidenceRow(NamedTuple):
    """One condition's evidence about one finding, ready for explaining."""

    position: int  # the finding's place in the catalog: ties break in catalog order
    finding: str
    lr_present: float
    lr_absent: float
    strength_present: float  # |log lr_present|
    strength_absent: float


class RankingEngine:
    def __init__(
        self,
        conditions: tuple[Condition, ...],
        models: tuple[ConditionModel, ...],
        evidence: tuple[Evidence, ...],
        finding_ids: tuple[str, ...],
    ) -> None:
        self.condition_ids = tuple(c.id for c in conditions)
        position = {cid: i for i, cid in enumerate(self.condition_ids)}
        by_condition = {m.condition: m for m in models}
        self._models = tuple(by_condition[cid] for cid in self.condition_ids)
        self.present_terms: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.absent_terms: dict[str, list[tuple[int, int]]] = defaultdict(list)
        place = {fid: n for n, fid in enumerate(finding_ids)}
        rows: list[list[EvidenceRow]] = [[] for _ in self.condition_ids]
        for item in evidence:
            i = position[item.condition]
            if item.lr_present != 1.0:
                self.present_terms[item.finding].append((i, _fixed(math.log(item.lr_present))))
            if item.lr_absent != 1.0:
                self.absent_terms[item.finding].append((i, _fixed(math.log(item.lr_absent))))
            rows[i].append(
                EvidenceRow(
                    place[item.finding],
                    item.finding,
                    item.lr_present,
                    item.lr_absent,
                    abs(math.log(item.lr_present)),
                    abs(math.log(item.lr_absent)),
                )
            )
        self.evidence_rows = tuple(tuple(sorted(r)) for r in rows)
        self._prior_cache: dict[tuple[int, str, int], tuple[int, ...]] = {}
        # Durations that no modifier tells apart share a cache entry.
        edges = set()
        for model in models:
            for mod in model.modifiers:
                if mod.duration_min is not None:
                    edges.add(mod.duration_min)
                if mod.duration_max is not None:
                    edges.add(mod.duration_max + 1)
        self.duration_edges = tuple(sorted(edges))

    def log_priors(self, age: int, sex: str, duration_days: int | None) -> tuple[int, ...]:
        """Fixed-point log priors for this age, sex and duration (cached)."""
        bucket = -1 if duration_days is None else bisect_right(self.duration_edges, duration_days)
        key = (age, sex, bucket)
        cached = self._prior_cache.get(key)
        if cached is None:
            cached = tuple(
                _fixed(math.log(_prior(model, age, sex, duration_days))) for model in self._models
            )
            self._prior_cache[key] = cached
        return cached

    def rank(self, case: Case) -> tuple[RankedCondition, ...]:
        scores = list(self.log_priors(case.age, case.sex, case.duration_days))
        present_terms, absent_terms = self.present_terms, self.absent_terms
        for fid, answer in case.findings.items():
            terms = present_terms if answer == PRESENT else absent_terms
            for i, weight in terms.get(fid, ()):
                scores[i] += weight
        top = max(scores)
        weights = [math.exp((s - top) / SCALE) for s in scores]
        total = sum(weights)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        ranked = []
        for place, i in enumerate(order):
            probability = weights[i] / total
            if place < EXPLAIN_AT_LEAST or (
                place < EXPLAIN_AT_MOST and probability >= EXPLAIN_MIN_PROBABILITY
            ):
                raised, lowered = self._explain(i, case)
            else:
                raised, lowered = (), ()
            ranked.append(RankedCondition(self.condition_ids[i], probability, raised, lowered))
        return tuple(ranked)

    def _explain(self, i: int, case: Case) -> tuple[tuple[Factor, ...], tuple[Factor, ...]]:
        raised: list[tuple[float, int, str, str, float]] = []
        lowered: list[tuple[float, int, str, str, float]] = []
        findings = case.findings
        for row in self.evidence_rows[i]:
            answer = findings.get(row.finding)
            if answer is None:
                continue
            if answer == PRESENT:
                lr, strength = row.lr_present, row.strength_present
            else:
                lr, strength = row.lr_absent, row.strength_absent
            if lr > 1.0:
                raised.append((-strength, row.position, row.finding, answer, lr))
            elif lr < 1.0:
                lowered.append((-strength, row.position, row.finding, answer, lr))
        raised.sort()
        lowered.sort()
        return (
            tuple(Factor(f, a, lr) for _, _, f, a, lr in raised[:MAX_FACTORS]),  # type: ignore[arg-type]
            tuple(Factor(f, a, lr) for _, _, f, a, lr in lowered[:MAX_FACTORS]),  # type: ignore[arg-type]
        )


def _prior(model: ConditionModel, age: int, sex: str, duration_days: int | None) -> float:
    prior = model.prior
    for mod in model.modifiers:
        if mod.age_min is not None and age < mod.age_min:
            continue
        if mod.age_max is not None and age > mod.age_max:
            continue
        if mod.sexes and sex not in mod.sexes:
            continue
        if mod.duration_min is not None or mod.duration_max is not None:
            if duration_days is None:
                continue
            if mod.duration_min is not None and duration_days < mod.duration_min:
                continue
            if mod.duration_max is not None and duration_days > mod.duration_max:
                continue
        prior *= mod.factor
    return prior
