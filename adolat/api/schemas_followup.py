"""Input and output schemas of the follow-up endpoints of API v1 (adolat/api/followup.py).

Written out rather than derived from the models, like those of `schemas.py`, so that a model change
never silently changes the published contract. Free texts refuse the NUL character (PostgreSQL
cannot store it); ids are positive 64-bit integers.
"""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict

from adolat.accounts.models import Organisation
from adolat.followup import permissions, selectors
from adolat.followup.models import Cluster, ProgressReport

from .schemas import MAX_ID, NO_NUL, LanguageCode, PageMeta, Pagination, StatusCode, Texts, _enum, _names

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_coercion(value):
    """JSON bodies say what they mean: a date is a string, never a number (pydantic's lax mode
    would read 0 as 1970-01-01)."""
    if isinstance(value, bool | int | float):
        raise ValueError("not a date")
    return value


# In a JSON body: an integer is an integer (not `false`, not "3"); a date is an ISO string.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
BodyInt = Annotated[int, Field(strict=True)]
BodyDate = Annotated[dt.date, BeforeValidator(_no_coercion)]


class In(BaseModel):
    """A request body. Plain pydantic rather than ninja's Schema, which reads any value through
    attribute access (so a list would pass for an object with every field left out); unknown
    fields are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")


Text = Annotated[str, Field(pattern=NO_NUL, max_length=50_000)]
ShortText = Annotated[str, Field(pattern=NO_NUL, max_length=255)]

ClusterState = _enum("ClusterState", Cluster.State.values, "Proposed, confirmed or rejected.")
ClusterOrigin = _enum("ClusterOrigin", Cluster.Origin.values, "Where a cluster comes from.")
ReportState = _enum(
    "ReportState",
    ProgressReport.State.values,
    "Where a progress report is in its workflow: draft → submitted → validated, or submitted → "
    "returned → submitted again; a validated report is superseded by a newer validated one.",
)
OrganisationKind = _enum("OrganisationKind", Organisation.Kind.values, "Kind of organisation.")
EvidenceKind = _enum("EvidenceKind", ["link", "file"], "A link to a document, or an attached file.")


class OrganisationRef(Schema):
    id: int
    kind: OrganisationKind
    acronym: str
    name: Texts

    @staticmethod
    def resolve_name(obj) -> dict[str, str]:
        return _names(obj, "name")


class TextsIn(In):
    """A text in each language; leave out (or empty) the languages it does not exist in."""

    tg: ShortText = ""
    ru: ShortText = ""
    en: ShortText = ""


# --- Clusters -----------------------------------------------------------------------------------


class ClusterFilters(Pagination):
    state: ClusterState | None = Field(None, description="Only clusters in this state.")


class ClusterOut(Schema):
    id: int
    country: str = Field(description="State under review, ISO code.")
    origin: ClusterOrigin
    state: ClusterState
    title: Texts
    document: int | None = Field(description="Source document id, for a paragraph of a document.")
    paragraph: str
    recommendations: list[int] = Field(description="Ids of its recommendations that the caller may see.")
    created: dt.datetime
    updated: dt.datetime

    @staticmethod
    def resolve_country(obj) -> str:
        return obj.country_id

    @staticmethod
    def resolve_title(obj) -> dict[str, str]:
        return _names(obj, "title")

    @staticmethod
    def resolve_document(obj) -> int | None:
        return obj.document_id

    @staticmethod
    def resolve_recommendations(obj) -> list[int]:
        return [r.pk for r in obj.recommendations.all()]


class ClusterPage(PageMeta):
    results: list[ClusterOut]


# --- Reporting periods --------------------------------------------------------------------------


class ReportingPeriodIn(In):
    title: TextsIn = Field(default_factory=TextsIn)
    starts: BodyDate
    ends: BodyDate = Field(description="On or after `starts`.")
    due: BodyDate = Field(description="The date reports for the period are due; on or after `starts`.")
    remind_days_before: BodyInt = Field(
        14, ge=0, le=365, description="Days before `due` that reminders go out."
    )


class ReportingPeriodOut(Schema):
    id: int
    title: Texts
    starts: dt.date
    ends: dt.date
    due: dt.date
    remind_days_before: int

    @staticmethod
    def resolve_title(obj) -> dict[str, str]:
        return _names(obj, "title")


class ReportingPeriodPage(PageMeta):
    results: list[ReportingPeriodOut]


# --- Assignments --------------------------------------------------------------------------------


class AssignmentFilters(Pagination):
    recommendation: Id | None = Field(
        None, description="Only assignments answering for this recommendation, directly or through a cluster."
    )
    active: bool | None = Field(None, description="Only active (true) or ended (false) assignments.")


class AssignmentIn(In):
    """Give `recommendation` or `cluster` (a confirmed one), not both."""

    recommendation: BodyId | None = None
    cluster: BodyId | None = None
    lead_body: BodyId = Field(description="Organisation id: a state body, the coordinating body or the NHRI.")
    supporting_bodies: list[BodyId] = Field([], max_length=50, description="Organisation ids.")
    deadline: BodyDate | None = None
    note: Text = ""


class AssignmentOut(Schema):
    id: int
    recommendation: int | None
    cluster: int | None
    lead_body: OrganisationRef
    supporting_bodies: list[OrganisationRef]
    deadline: dt.date | None
    note: str
    is_active: bool
    overdue: bool = Field(
        description="A reporting period's due date has passed since the assignment was made, and no "
        "report for that period has been validated."
    )
    created: dt.datetime
    updated: dt.datetime

    @staticmethod
    def resolve_recommendation(obj) -> int | None:
        return obj.recommendation_id

    @staticmethod
    def resolve_cluster(obj) -> int | None:
        return obj.cluster_id

    @staticmethod
    def resolve_supporting_bodies(obj) -> list:
        return sorted(obj.supporting_bodies.all(), key=lambda o: o.pk)

    @staticmethod
    def resolve_overdue(obj) -> bool:
        # Lists annotate it in their query (selectors.with_overdue); a single object asks once.
        overdue = getattr(obj, "overdue", None)
        return selectors.is_overdue(obj) if overdue is None else overdue


class AssignmentPage(PageMeta):
    results: list[AssignmentOut]


# --- Evidence -----------------------------------------------------------------------------------


class EvidenceLinkIn(In):
    url: str = Field(max_length=200, pattern=NO_NUL, description="An http:// or https:// address.")
    description: ShortText = ""


class EvidenceOut(Schema):
    """A link, or a file attached through the web pages (the API does not serve files)."""

    id: int
    kind: EvidenceKind
    url: str = Field(description="The link; empty for a file.")
    description: str
    created: dt.datetime

    @staticmethod
    def resolve_kind(obj) -> str:
        return "file" if obj.file else "link"


# --- Progress reports ---------------------------------------------------------------------------


class ProgressReportFilters(Pagination):
    assignment: Id | None = Field(None, description="Only reports on this assignment.")
    state: ReportState | None = Field(None, description="Only reports in this state.")


class ProgressReportIn(In):
    assignment: BodyId
    period: BodyId | None = Field(None, description="Reporting period id.")
    organisation: BodyId | None = Field(
        None,
        description="The body reported for; needed only by a focal point of several of its bodies.",
    )
    text: Text = Field(description="What was done.")
    proposed_status: StatusCode
    language: LanguageCode = LanguageCode("tg")


class ProgressReportUpdateIn(In):
    """Fields left out stay as they are."""

    version: BodyInt = Field(
        ge=1, le=MAX_ID, description="The version the change was made on (see `version`)."
    )
    text: Text | None = None
    proposed_status: StatusCode | None = None
    language: LanguageCode | None = None


class TransitionIn(In):
    version: BodyInt | None = Field(
        None, ge=1, le=MAX_ID, description="If given, refused (409) when the report has changed since."
    )


class ReturnIn(TransitionIn):
    comment: Text = Field(description="Why the report is returned; required.")


class ProgressReportOut(Schema):
    id: int
    assignment: int
    period: int | None
    organisation: OrganisationRef = Field(description="The reporting body.")
    state: ReportState
    text: str
    language: LanguageCode
    proposed_status: StatusCode
    coordinator_comment: str = Field(
        description="The coordinator's comment when returning the report; empty for those outside the "
        "state's work on the assignment."
    )
    submitted_at: dt.datetime | None
    validated_at: dt.datetime | None
    supersedes: int | None = Field(description="The validated report this one replaced.")
    version: int = Field(description="Grows with every change; send it with an update (optimistic locking).")
    evidence: list[EvidenceOut]
    created: dt.datetime
    updated: dt.datetime

    @staticmethod
    def resolve_assignment(obj) -> int:
        return obj.assignment_id

    @staticmethod
    def resolve_period(obj) -> int | None:
        return obj.period_id

    @staticmethod
    def resolve_supersedes(obj) -> int | None:
        return obj.supersedes_id

    @staticmethod
    def resolve_coordinator_comment(obj, context) -> str:
        request = context["request"]
        return obj.coordinator_comment if permissions.sees_report_workflow(request.auth, obj) else ""

    @staticmethod
    def resolve_evidence(obj) -> list:
        return sorted(obj.evidence.all(), key=lambda e: e.pk)


class ProgressReportPage(PageMeta):
    results: list[ProgressReportOut]


# --- Assessments --------------------------------------------------------------------------------


class AssessmentFilters(Pagination):
    recommendation: Id | None = Field(None, description="Only assessments of this recommendation.")


class AssessmentIn(In):
    recommendation: BodyId
    rating: StatusCode = Field(description="The organisation's rating, on the implementation-status scale.")
    reasoning: Text
    language: LanguageCode = LanguageCode("tg")
    organisation: BodyId | None = Field(
        None, description="The organisation published under; needed only by a contributor of several."
    )
    links: list[EvidenceLinkIn] = Field([], max_length=20, description="Links to evidence.")


class ReplyIn(In):
    text: Text
    organisation: BodyId | None = Field(
        None, description="The organisation replying; needed only by someone acting for several."
    )


class ReplyOut(Schema):
    id: int
    organisation: OrganisationRef
    text: str
    created: dt.datetime


class AssessmentOut(Schema):
    id: int
    recommendation: int
    organisation: OrganisationRef
    rating: StatusCode
    reasoning: str
    language: LanguageCode
    is_published: bool
    evidence: list[EvidenceOut]
    replies: list[ReplyOut]
    created: dt.datetime
    updated: dt.datetime

    @staticmethod
    def resolve_recommendation(obj) -> int:
        return obj.recommendation_id

    @staticmethod
    def resolve_evidence(obj) -> list:
        return sorted(obj.evidence.all(), key=lambda e: e.pk)

    @staticmethod
    def resolve_replies(obj) -> list:
        return sorted(obj.replies.all(), key=lambda r: (r.created, r.pk))


class AssessmentPage(PageMeta):
    results: list[AssessmentOut]
