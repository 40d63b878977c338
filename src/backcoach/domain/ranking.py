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

from backcoach.domain.catalog import Condition, ConditionModel, Evidence
from backcoach.domain.model import PRESENT, Case, Factor, RankedCondition

# The top few conditions carry their "why", and so do the next ones down to this
# probability, up to a limit: the rest are too unlikely to be worth explaining.
EXPLAIN_MIN_PROBABILITY = 0.01
EXPLAIN_AT_LEAST = 3
EXPLAIN_AT_MOST = 8

# Log-odds are summed as fixed-point integers: integer sums are exact, so the result does
# not depend on the order in which a case lists its findings.
SCALE = 1 << 32


def _fixed(log_value: float) -> int:
    return round(log_value * SCALE)


class RankingEngine:
    def __init__(
        self,
        conditions: tuple[Condition, ...],
        models: tuple[ConditionModel, ...],
        evidence: tuple[Evidence, ...],
    ) -> None:
        self.condition_ids = tuple(c.id for c in conditions)
        position = {cid: i for i, cid in enumerate(self.condition_ids)}
        by_condition = {m.condition: m for m in models}
        self._models = tuple(by_condition[cid] for cid in self.condition_ids)
        self._present_terms: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._absent_terms: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._ratios: list[list[tuple[str, float, float]]] = [[] for _ in self.condition_ids]
        for item in evidence:
            i = position[item.condition]
            if item.lr_present != 1.0:
                self._present_terms[item.finding].append((i, _fixed(math.log(item.lr_present))))
            if item.lr_absent != 1.0:
                self._absent_terms[item.finding].append((i, _fixed(math.log(item.lr_absent))))
            self._ratios[i].append((item.finding, item.lr_present, item.lr_absent))
        self._prior_cache: dict[tuple[int, str, int], tuple[int, ...]] = {}
        # Durations that no modifier tells apart share a cache entry.
        edges = set()
        for model in models:
            for mod in model.modifiers:
                if mod.duration_min is not None:
                    edges.add(mod.duration_min)
                if mod.duration_max is not None:
                    edges.add(mod.duration_max + 1)
        self._duration_edges = tuple(sorted(edges))

    def log_priors(self, age: int, sex: str, duration_days: int | None) -> tuple[int, ...]:
        """Fixed-point log priors for this age, sex and duration (cached)."""
        bucket = -1 if duration_days is None else bisect_right(self._duration_edges, duration_days)
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
        present_terms, absent_terms = self._present_terms, self._absent_terms
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
        factors = []
        findings = case.findings
        for fid, lr_present, lr_absent in self._ratios[i]:
            answer = findings.get(fid)
            if answer is None:
                continue
            lr = lr_present if answer == PRESENT else lr_absent
            if lr != 1.0:
                factors.append(Factor(fid, answer, lr))
        factors.sort(key=lambda f: -abs(math.log(f.likelihood_ratio)))
        raised = tuple(f for f in factors if f.likelihood_ratio > 1.0)
        lowered = tuple(f for f in factors if f.likelihood_ratio < 1.0)
        return raised, lowered


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
