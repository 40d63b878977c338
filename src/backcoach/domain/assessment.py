"""One use case: assess a case (triage first, then likely causes)."""

from __future__ import annotations

from backcoach.domain.catalog import Catalog
from backcoach.domain.model import Assessment, Case
from backcoach.domain.ranking import RankingEngine
from backcoach.domain.triage import TriageEngine


class Assessor:
    """Triage and ranking compiled from one catalog; build once, assess many cases."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.triage = TriageEngine(catalog.findings, catalog.rules)
        self.ranking = RankingEngine(
            catalog.conditions,
            catalog.condition_models,
            catalog.evidence,
            tuple(f.id for f in catalog.findings),
        )

    def assess(self, case: Case) -> Assessment:
        return Assessment(case, self.triage.assess(case), self.ranking.rank(case))
