"""Pydantic models for the content files. Used only at load time, never by the domain."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

LevelId = Literal[
    "emergency_ambulance", "emergency", "consultation_24", "consultation", "self_care"
]
SexId = Literal["female", "male", "other"]
Basis = Literal["literature", "guideline", "expert_estimate"]
Id = Field(pattern=r"^[a-z][a-z0-9_\-.]*$", max_length=80)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SourceItem(Strict):
    id: str = Id
    kind: Literal["guideline", "study", "review", "patient_information", "consensus", "instrument"]
    title: str = Field(min_length=3)
    by: str = Field(min_length=2, description="organisation or authors")
    year: int = Field(ge=1900, le=2100)
    url: HttpUrl
    note: str = ""


class FindingItem(Strict):
    id: str = Id
    group: str
    question: str = Field(min_length=8, max_length=300)
    label: str = Field(min_length=3, max_length=70)
    help: str = Field(min_length=8, max_length=600)
    red_flag: bool
    phase: Literal["danger", "main", "context"]
    ask_if_any: list[str] = []
    ask_if_sex: list[SexId] = []
    ask_if_age_min: int | None = Field(default=None, ge=0, le=120)
    ask_if_age_max: int | None = Field(default=None, ge=0, le=120)
    sources: list[str] = []

    @model_validator(mode="after")
    def _red_flags_are_danger_questions(self) -> FindingItem:
        if self.red_flag and self.phase != "danger":
            raise ValueError("a red flag must be asked in the 'danger' phase")
        if self.red_flag and not self.sources:
            raise ValueError("a red flag must cite at least one source")
        return self


class ConditionItem(Strict):
    id: str = Id
    kind: Literal["mechanical", "nerve", "serious", "other"]
    name: str = Field(min_length=3, max_length=80)
    what_it_is: str = Field(min_length=20)
    why_it_happens: str = Field(min_length=20)
    what_helps: str = Field(min_length=20)
    when_to_get_help: str = Field(min_length=20)
    sources: list[str] = Field(min_length=1)


class AtLeastItem(Strict):
    n: int = Field(ge=1)
    of: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _n_fits(self) -> AtLeastItem:
        if self.n > len(self.of):
            raise ValueError(f"n={self.n} is more than the {len(self.of)} findings listed")
        return self


class RuleWhen(Strict):
    present: list[str] = []
    at_least: list[AtLeastItem] = []
    absent: list[str] = []
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    sex: list[SexId] = []
    duration_days_min: int | None = Field(default=None, ge=0)
    duration_days_max: int | None = Field(default=None, ge=0)
    pain_min: int | None = Field(default=None, ge=0, le=10)
    # For safety rules bounded on a short duration: an unknown duration counts as met.
    fire_if_duration_unknown: bool = False

    @model_validator(mode="after")
    def _not_empty(self) -> RuleWhen:
        if not (self.present or self.at_least or self.duration_days_min is not None):
            raise ValueError("a rule needs at least one present finding or a duration bound")
        return self


class RuleItem(Strict):
    id: str = Id
    level: LevelId
    when: RuleWhen
    message: str = Field(min_length=10, max_length=400)
    rationale: str = ""
    sources: list[str] = Field(min_length=1)


class ModifierItem(Strict):
    factor: float = Field(gt=0, le=1000)
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    sex: list[SexId] = []
    duration_days_min: int | None = Field(default=None, ge=0)
    duration_days_max: int | None = Field(default=None, ge=0)
    basis: Basis
    sources: list[str] = Field(min_length=1)
    note: str = ""


class EvidenceItem(Strict):
    finding: str
    lr_present: float = Field(gt=0, le=10_000)
    lr_absent: float = Field(default=1.0, gt=0, le=10_000)
    basis: Basis
    sources: list[str] = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> EvidenceItem:
        # A finding cannot make a condition more likely both when present and when absent.
        if (self.lr_present - 1) * (self.lr_absent - 1) > 0:
            raise ValueError("lr_present and lr_absent must lie on opposite sides of 1")
        return self


class ConditionModelItem(Strict):
    condition: str
    prior: float = Field(gt=0, lt=1)
    prior_basis: Basis
    sources: list[str] = Field(min_length=1)
    modifiers: list[ModifierItem] = []
    evidence: list[EvidenceItem] = []

    @field_validator("evidence")
    @classmethod
    def _one_entry_per_finding(cls, value: list[EvidenceItem]) -> list[EvidenceItem]:
        seen: set[str] = set()
        for item in value:
            if item.finding in seen:
                raise ValueError(f"finding {item.finding!r} is listed twice")
            seen.add(item.finding)
        return value


class LevelItem(Strict):
    id: LevelId
    headline: str = Field(min_length=5, max_length=60)
    action: str = Field(min_length=20, max_length=400)
    sources: list[str] = Field(min_length=1)
