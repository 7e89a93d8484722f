"""Records of organisations none of the test users (adolat/conftest.py) belongs to, for the attack
tests: the access matrix (test_access_matrix.py) and the API attack (test_api_attack.py).

The Ministry of Internal Affairs (a state body with its own focal point) and a second civil-society
organisation each hold private work. Every private text carries a unique marker; `MARKERS` says
who among the test users may ever read it, and `forbidden_markers(who)` the markers a response to
`who` must never contain, whatever the page or endpoint.
"""

from datetime import date

# marker → the test users who may read it (everyone else must never receive it)
COORDINATORS = frozenset({"administrator", "coordinator"})
MARKERS = {
    # A recommendation not yet published: coordinators prepare it.
    "ZQX-UNPUBLISHED-RECOMMENDATION": COORDINATORS,
    # An assignment of that recommendation to the other ministry.
    "ZQX-HIDDEN-ASSIGNMENT-NOTE": COORDINATORS,
    # The other ministry's report in progress: its own focal points only.
    "ZQX-DRAFT-REPORT": frozenset(),
    "ZQX-DRAFT-EVIDENCE": frozenset(),
    # Submitted for review: coordinators and the assignment's bodies.
    "ZQX-SUBMITTED-REPORT": COORDINATORS,
    # Returned with the coordinator's comment: the workflow is seen by coordinators and the bodies.
    "ZQX-RETURN-COMMENT": COORDINATORS,
    # An assessment the other civil-society organisation withdrew.
    "ZQX-WITHDRAWN-ASSESSMENT": frozenset(),
    # A proposed (unconfirmed) cluster: coordinators.
    "ZQX-PROPOSED-CLUSTER": COORDINATORS,
    # Another person's inbox and API token.
    "ZQX-NOTIFICATION": frozenset(),
    "ZQX-TOKEN-NAME": frozenset(),
    "ZQX-DEVICE-NAME": frozenset(),
    # An import uploaded by the other ministry's coordinator: imports are the instance's, every
    # coordinator follows them.
    "ZQX-IMPORT-FILE": COORDINATORS,
}


def forbidden_markers(who: str) -> list[str]:
    return [marker for marker, readers in MARKERS.items() if who not in readers]


def leaked(who: str, body: bytes | str) -> list[str]:
    """The markers `who` must not read that `body` contains."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return [marker for marker in forbidden_markers(who) if marker in text]


def build(users, make_recommendation) -> dict:
    """The other organisations' records, keyed `other_<what>`; `users` is the conftest fixture
    (its coordinator assigns, reviews and returns, as the coordinating body does for everyone)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from adolat.accounts.models import Membership, Organisation, User
    from adolat.accounts.services import api_token_create
    from adolat.followup import services
    from adolat.followup.models import Cluster, Notification

    coordinator = users["coordinator"]
    interior = Organisation.objects.create(
        kind=Organisation.Kind.STATE_BODY, name_en="Ministry of Internal Affairs", name_ru="МВД"
    )
    watch = Organisation.objects.create(kind=Organisation.Kind.CSO, name_en="Rights Watch Dushanbe")
    focal = User.objects.create_user("focal.interior@example.org", "another long password 1")
    Membership.objects.create(user=focal, organisation=interior, role="focal_point")
    cso = User.objects.create_user("contributor.watch@example.org", "another long password 2")
    Membership.objects.create(user=cso, organisation=watch, role="cso_contributor")

    published = make_recommendation(text_en="Investigate every allegation of torture", is_published=True)
    hidden = make_recommendation(text_en="ZQX-UNPUBLISHED-RECOMMENDATION", is_published=False)
    assignment = services.assignment_create(recommendation=published, lead_body=interior, by=coordinator)
    hidden_assignment = services.assignment_create(
        recommendation=hidden, lead_body=interior, note="ZQX-HIDDEN-ASSIGNMENT-NOTE", by=coordinator
    )
    periods = [
        services.reporting_period_create(
            starts=date(year, 1, 1), ends=date(year, 12, 31), due=date(year + 1, 1, 31), by=coordinator
        )
        for year in (2019, 2020, 2021)
    ]

    def report(period, text):
        return services.progress_report_create(
            assignment=assignment, text=text, proposed_status="in_progress", period=period, by=focal
        )

    draft = report(periods[0], "ZQX-DRAFT-REPORT")
    evidence = services.evidence_add(
        report=draft, url="https://example.org/zqx", description="ZQX-DRAFT-EVIDENCE", by=focal
    )
    submitted = report(periods[1], "ZQX-SUBMITTED-REPORT")
    services.progress_report_submit(report=submitted, by=focal)
    returned = report(periods[2], "A report sent back")
    services.progress_report_submit(report=returned, by=focal)
    services.progress_report_return(report=returned, comment="ZQX-RETURN-COMMENT", by=coordinator)

    assessment = services.assessment_create(
        recommendation=published, rating="not_started", reasoning="ZQX-WITHDRAWN-ASSESSMENT", by=cso
    )
    services.assessment_update(assessment=assessment, is_published=False, by=cso)
    public_assessment = services.assessment_create(
        recommendation=published, rating="in_progress", reasoning="Some progress", by=cso
    )
    cluster = services.cluster_create(
        country=published.country,
        recommendations=[published, hidden],
        origin=Cluster.Origin.MANUAL,
        title_en="ZQX-PROPOSED-CLUSTER",
        by=coordinator,
        source="web",
    )
    token, _secret = api_token_create(user=focal, name="ZQX-TOKEN-NAME")
    totp = TOTPDevice.objects.create(user=focal, name="ZQX-DEVICE-NAME", confirmed=True)
    notification = Notification.objects.create(
        user=focal, kind="assigned", key="zqx", subject="ZQX-NOTIFICATION", body="ZQX-NOTIFICATION"
    )
    return {
        "other_organisation": interior,
        "other_cso": watch,
        "other_focal_point": focal,
        "other_cso_contributor": cso,
        "other_published": published,
        "other_unpublished": hidden,
        "other_assignment": assignment,
        "other_hidden_assignment": hidden_assignment,
        "other_report_draft": draft,
        "other_evidence_draft": evidence,
        "other_report_submitted": submitted,
        "other_report_returned": returned,
        "other_assessment_withdrawn": assessment,
        "other_assessment": public_assessment,
        "other_cluster": cluster,
        "other_token": token,
        "other_totp": totp,
        "other_import_run": _import_run(interior),
        "other_notification": notification,
    }


def _import_run(organisation):
    from django.core.files.base import ContentFile

    from adolat.accounts.models import Membership, User
    from adolat.recommendations.models import Country, ImportRun

    by = User.objects.create_user("coordinator.interior@example.org", "another long password 3")
    Membership.objects.create(user=by, organisation=organisation, role="coordinator")
    country, _ = Country.objects.get_or_create(code="TJ", defaults={"name_en": "Tajikistan"})
    run = ImportRun(
        created_by=by, filename="ZQX-IMPORT-FILE.csv", country=country, state=ImportRun.State.CHECKED
    )
    run.file.save("upload", ContentFile(b"To,Text"), save=False)
    run.save()
    return run
