"""Assessment results as the JSON of ``shared/spec/result.schema.json`` (plus extensions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from backcoach.domain.catalog import Catalog
from backcoach.domain.model import Assessment, Factor, RankedCondition, Reason

if TYPE_CHECKING:
    from backcoach.domain.questionnaires import Questionnaire, QuestionnaireResult

PROBABILITY_DIGITS = 4


class ResultWriter:
    """Turns assessments into plain dicts; source titles are looked up once, not per case."""

    def __init__(
        self, catalog: Catalog, questionnaires: Mapping[str, Questionnaire] | None = None
    ) -> None:
        self._source_text = {s.id: f"{s.by}: {s.title} ({s.year})" for s in catalog.sources}
        self._content_version = catalog.version
        self._questionnaires = questionnaires  # loaded on first use when not given

    def source_text(self, source_id: str) -> str:
        """How a reason names its source: "organisation: title (year)"."""
        return self._source_text[source_id]

    def to_dict(self, assessment: Assessment) -> dict[str, Any]:
        triage = assessment.triage
        result: dict[str, Any] = {}
        if assessment.case.id is not None:
            result["id"] = assessment.case.id
        result["triage"] = {
            "level": triage.level.id,
            "reasons": [self._reason(r) for r in triage.reasons],
        }
        result["conditions"] = [_condition(c) for c in assessment.conditions]
        result["unanswered_red_flags"] = list(triage.unanswered_red_flags)
        result["provisional"] = triage.provisional
        if triage.could_raise_to is not None:
            result["could_raise_to"] = triage.could_raise_to.id
        result["content_version"] = self._content_version
        if assessment.case.questionnaires:
            result["questionnaires"] = questionnaire_scores(
                self._score(assessment.case.questionnaires)
            )
        return result

    def _score(self, answers: Mapping[str, Mapping[str, int]]) -> list[QuestionnaireResult]:
        from backcoach.domain.questionnaires import score

        if self._questionnaires is None:
            from backcoach.content.questionnaires import load_questionnaires

            self._questionnaires = load_questionnaires()
        return [score(self._questionnaires[qid], items) for qid, items in answers.items()]

    def _reason(self, reason: Reason) -> dict[str, Any]:
        return {
            "rule": reason.rule,
            "level": reason.level.id,
            "findings": list(reason.findings),
            "source": self._source_text[reason.sources[0]],
            "sources": list(reason.sources),
            "message": reason.message,
        }


def questionnaire_scores(results: Iterable[QuestionnaireResult]) -> dict[str, Any]:
    """Extension: ``{questionnaire id: {score, score_max, category, subscales, ...}}``."""
    scores: dict[str, Any] = {}
    for result in results:
        item: dict[str, Any] = {
            "score": result.score,
            "score_max": result.score_max,
            "version": result.questionnaire_version,
        }
        if result.category is not None:
            item["category"] = result.category
        if result.subscales:
            item["subscales"] = dict(result.subscales)
        if result.loinc is not None:
            item["loinc"] = result.loinc
        scores[result.questionnaire_id] = item
    return scores


def _condition(ranked: RankedCondition) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": ranked.id,
        "probability": round(ranked.probability, PROBABILITY_DIGITS),
    }
    if ranked.raised_by or ranked.lowered_by:
        item["raised_by"] = [_factor(f) for f in ranked.raised_by]
        item["lowered_by"] = [_factor(f) for f in ranked.lowered_by]
    return item


def _factor(factor: Factor) -> dict[str, Any]:
    return {
        "finding": factor.finding,
        "answer": factor.answer,
        "lr": round(factor.likelihood_ratio, 3),
    }
