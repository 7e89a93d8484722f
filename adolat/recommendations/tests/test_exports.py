"""Exports of the recommendation list (CSV, XLSX, open-data JSON, Word matrix), `adolat export`,
and the round trip through `adolat load-open-data`."""

import csv
import datetime as dt
import io
import json
import re
import threading
from importlib import import_module

import docx
import openpyxl
import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from adolat.followup.models import Assignment, Cluster
from adolat.recommendations import exports, selectors
from adolat.recommendations.exports import common, opendata, tabular
from adolat.recommendations.exports.load import load_json
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Mechanism,
    Recommendation,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Theme,
)
from adolat.recommendations.services import source_document_create

pytestmark = pytest.mark.django_db

load_open_data = import_module("adolat.recommendations.management.commands.load-open-data")
TODAY = re.escape(timezone.localdate().isoformat())


def url(fmt: str, **params) -> str:
    from django.utils.http import urlencode

    query = urlencode(params, doseq=True)
    return reverse("recommendations:export", args=[fmt]) + (f"?{query}" if query else "")


def content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content if not isinstance(response, FileResponse) else b"".join(response)


def document(symbol="", *, mechanism="UPR", session="", year=None, cycle=None, date=None, **titles):
    return source_document_create(
        document=SourceDocument(
            mechanism=Mechanism.objects.get(code=mechanism),
            country_id="TJ",
            symbol=symbol,
            session=session,
            year=year,
            cycle=cycle,
            date=date,
            **titles,
        ),
        source="command",
    )


@pytest.fixture
def corpus(make_recommendation, orgs):
    """Recommendations in three languages, with every kind of value an export shows: documents
    with symbols and by session, several recommending states, positions, statuses, themes, groups
    and SDG targets, one draft, two records sharing a natural key, and responsible bodies."""
    countries = Country.objects.in_bulk(["BR", "ES", "FR", "DE"])
    upr_2011 = document(
        "A/HRC/19/3",
        session="12",
        cycle=1,
        year=2011,
        date=dt.date(2011, 12, 12),
        title_en="Report of the Working Group on the UPR: Tajikistan",
        title_ru="Доклад Рабочей группы по УПО: Таджикистан",
    )
    cat = document("CAT/C/TJK/CO/3", mechanism="CAT", year=2018, title_en="Concluding observations")
    upr_session = document(
        session="39",
        cycle=3,
        year=2021,
        title_en="UPR, session 39 (2021): Tajikistan",
        title_ru="УПО, сессия 39 (2021): Таджикистан",
        title_tg="БУД, иҷлосияи 39 (2021): Тоҷикистон",
    )
    cat_mechanism = Mechanism.objects.get(code="CAT")
    torture = Theme.objects.get(code="torture")
    detention = Theme.objects.get(code="detention-conditions")
    defenders = Theme.objects.get(code="human-rights-defenders")
    detainees = AffectedGroup.objects.get(code="persons-deprived-of-liberty")
    women = AffectedGroup.objects.get(code="women-girls")
    target_16_3, target_5_2 = SdgTarget.objects.get(code="16.3"), SdgTarget.objects.get(code="5.2")
    recs = {
        "torture": make_recommendation(
            text_en="Criminalise torture in line with the Convention against Torture",
            text_ru="Криминализировать пытки в соответствии с Конвенцией против пыток",
            text_tg="Шиканҷаро мутобиқи Конвенсия алайҳи шиканҷа ҷиноят эълон кунед",
            document=upr_2011,
            paragraph="88.1",
            position="supported",
            status="in_progress",
            is_published=True,
            recommending_states=[countries["BR"], countries["ES"]],
            themes=[torture, detention],
            affected_groups=[detainees],
            sdg_targets=[target_16_3],
        ),
        "russian": make_recommendation(
            text_en="",
            text_ru="Обеспечить защиту правозащитников",
            original_language="ru",
            document=upr_session,
            paragraph="140.7",
            position="noted",
            status="not_started",
            is_published=True,
            recommending_states=[countries["FR"]],
            themes=[defenders],
            affected_groups=[women],
            sdg_targets=[target_5_2, target_16_3],
        ),
        "tajik": make_recommendation(
            text_en="",
            text_tg="Ҳуқуқи инсонро дар ҷойҳои маҳрумият аз озодӣ таъмин кунед",
            original_language="tg",
            mechanism=cat_mechanism,
            document=cat,
            paragraph="42(b)",
            status="implemented",
            is_published=True,
        ),
        "formula": make_recommendation(
            text_en='=HYPERLINK("http://example.org") - a text that looks like a formula',
            document=upr_2011,
            paragraph="88.2",
            position="supported_in_part",
            is_published=True,
            recommending_states=[countries["DE"]],
            themes=[torture],
        ),
        "twin": make_recommendation(
            text_en="Criminalise torture in line with the Convention against Torture",
            document=upr_2011,
            paragraph="90.3",
            position="supported",
            position_note="The State considers that it is already implemented.",
            is_published=True,
            recommending_states=[countries["ES"], countries["BR"]],
        ),
        "draft": make_recommendation(
            text_en="Draft about torture not yet published",
            document=upr_2011,
            paragraph="91.1",
            position="pending",
            status="partially_implemented",
            is_published=False,
            themes=[torture],
        ),
    }
    justice_assignment = Assignment.objects.create(
        recommendation=recs["torture"], lead_body=orgs["justice"], deadline=dt.date(2027, 6, 30)
    )
    justice_assignment.supporting_bodies.set([orgs["ombudsman"], orgs["justice"]])
    Assignment.objects.create(recommendation=recs["tajik"], lead_body=orgs["cso"], is_active=False)
    cluster = Cluster.objects.create(country_id="TJ", origin=Cluster.Origin.MANUAL, state="confirmed")
    cluster.recommendations.set([recs["russian"]])
    Assignment.objects.create(cluster=cluster, lead_body=orgs["eop"])
    rejected = Cluster.objects.create(country_id="TJ", origin=Cluster.Origin.SUGGESTED, state="rejected")
    rejected.recommendations.set([recs["formula"]])
    Assignment.objects.create(cluster=rejected, lead_body=orgs["ombudsman"])
    # A suggested grouping nobody has confirmed yet: the public does not see its assignment.
    proposed = Cluster.objects.create(country_id="TJ", origin=Cluster.Origin.SUGGESTED, state="proposed")
    proposed.recommendations.set([recs["twin"]])
    Assignment.objects.create(cluster=proposed, lead_body=orgs["ombudsman"])
    return recs


PUBLISHED = ("torture", "russian", "tajik", "formula", "twin")


@pytest.fixture
def coordinator_client(users):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(users["coordinator"])
    return c


def read_csv(response) -> list[dict]:
    raw = content(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def read_xlsx(response) -> list[dict]:
    wb = openpyxl.load_workbook(io.BytesIO(content(response)), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_json(response) -> dict:
    return json.loads(content(response))


def read_docx(response) -> list[list[str]]:
    d = docx.Document(io.BytesIO(content(response)))
    assert len(d.tables) == 1
    return [[cell.text for cell in row.cells] for row in d.tables[0].rows]


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_streams_every_published_row_with_english_headers(client, corpus):
    response = client.get(url("csv"))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        rf'attachment; filename="adolat-recommendations-{TODAY}\.csv"', response["Content-Disposition"]
    )
    rows = read_csv(response)
    assert len(rows) == len(PUBLISHED)
    by_paragraph = {r["Paragraph"]: r for r in rows}
    torture = by_paragraph["88.1"]
    assert torture["Recommendation"] == corpus["torture"].text_en
    assert torture["Language of the text"] == "English"
    assert torture["Recommending states"] == "Brazil, Spain"
    assert torture["Position of the state"] == "supported"
    assert torture["Implementation status"] == "in progress"
    assert torture["Source document"] == "A/HRC/19/3"
    assert torture["Session"] == "12"
    assert torture["Year"] == "2011"
    assert torture["Themes"].startswith("Prohibition of torture")
    assert torture["Affected groups"] == "Persons deprived of their liberty & detainees"
    assert torture["SDG goals"] == "16"
    assert torture["SDG targets"] == "16.3"
    assert torture["Published"] == "Yes"
    assert torture["Link"].endswith(reverse("recommendations:detail", args=[corpus["torture"].pk]))


def test_csv_text_falls_back_to_another_language_and_says_which(client, corpus):
    rows = {r["Paragraph"]: r for r in read_csv(client.get(url("csv")))}

    assert rows["140.7"]["Recommendation"] == "Обеспечить защиту правозащитников"
    assert rows["140.7"]["Language of the text"] == "Русский"
    assert rows["42(b)"]["Language of the text"] == "Тоҷикӣ"


def keyed(raw: bytes) -> tuple[list[str], dict[str, dict]]:
    """The header and the rows of a CSV export by paragraph, each row by column key."""
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    keys = [key for key, _header, _width in tabular.columns()]
    rows = [dict(zip(keys, line, strict=True)) for line in lines[1:]]
    return lines[0], {r["paragraph"]: r for r in rows}


def test_csv_in_russian_translates_headers_labels_and_vocabularies(corpus):
    header, rows = keyed(content(Client(HTTP_ACCEPT_LANGUAGE="ru").get(url("csv"))))

    assert header[:8] == [
        "Механизм",
        "Исходный документ",
        "Сессия",
        "Пункт",
        "Год",
        "Государство — объект обзора",
        "Рекомендующие государства",
        "Рекомендация",
    ]
    torture = rows["88.1"]
    assert torture["text"] == corpus["torture"].text_ru
    assert torture["text_language"] == "Русский"
    assert torture["country"] == "Таджикистан"
    assert torture["recommending_states"] == "Бразилия, Испания"
    assert torture["position"] == "поддержана"
    assert torture["themes"].startswith("Запрещение пыток")
    assert torture["is_published"] == "Да"
    # An English-only text stays English, and the column says so.
    assert rows["88.2"]["text_language"] == "English"


def test_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(client, corpus):
    rows = {r["Paragraph"]: r for r in read_csv(client.get(url("csv")))}

    assert rows["88.2"]["Recommendation"] == "'" + corpus["formula"].text_en


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_is_a_workbook_with_one_row_per_recommendation(client, corpus):
    response = client.get(url("xlsx"))

    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert re.fullmatch(
        rf'attachment; filename="adolat-recommendations-{TODAY}\.xlsx"', response["Content-Disposition"]
    )
    rows = {r["Paragraph"]: r for r in read_xlsx(response)}
    assert set(rows) == {"88.1", "140.7", "42(b)", "88.2", "90.3"}
    assert rows["88.1"]["Recommendation"] == corpus["torture"].text_en
    assert rows["88.1"]["Year"] == 2011
    assert rows["140.7"]["Language of the text"] == "Русский"
    # Text that starts with "=" stays text: no formula in an export.
    assert rows["88.2"]["Recommendation"] == corpus["formula"].text_en


def test_xlsx_in_tajik(corpus):
    rows = read_xlsx(Client(HTTP_ACCEPT_LANGUAGE="tg").get(url("xlsx")))

    torture = next(r for r in rows if r["Банд"] == "88.1")
    assert torture["Тавсия"] == corpus["torture"].text_tg
    assert torture["Мавқеи давлат"] == "дастгирӣ шуд"
    assert list(torture.values())[8] == "Тоҷикӣ"  # the language of the text


# --- JSON ---------------------------------------------------------------------------------------


def test_json_streams_the_open_data_format(client, corpus):
    response = client.get(url("json"))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert re.fullmatch(
        rf'attachment; filename="adolat-recommendations-{TODAY}\.json"', response["Content-Disposition"]
    )
    data = read_json(response)
    assert data["format"] == "adolat-recommendations"
    assert data["version"] == "1.0"
    assert dt.datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert data["count"] == len(data["recommendations"]) == len(PUBLISHED)
    assert data["published_only"] is True
    assert data["filters"] == {}
    torture = next(r for r in data["recommendations"] if r["paragraph"] == "88.1")
    assert torture == {
        "natural_key": torture["natural_key"],
        "country": "TJ",
        "mechanism": "UPR",
        "document": {
            "symbol": "A/HRC/19/3",
            "mechanism": "UPR",
            "country": "TJ",
            "session": "12",
            "cycle": 1,
            "year": 2011,
            "date": "2011-12-12",
            "title": {
                "tg": "",
                "ru": "Доклад Рабочей группы по УПО: Таджикистан",
                "en": "Report of the Working Group on the UPR: Tajikistan",
            },
        },
        "paragraph": "88.1",
        "year": 2011,
        "text": {
            "tg": corpus["torture"].text_tg,
            "ru": corpus["torture"].text_ru,
            "en": corpus["torture"].text_en,
        },
        "original_language": "en",
        "recommending_states": ["BR", "ES"],
        "position": "supported",
        "position_note": "",
        "status": "in_progress",
        "is_published": True,
        "themes": ["detention-conditions", "torture"],
        "affected_groups": ["persons-deprived-of-liberty"],
        "sdg_goals": [16],
        "sdg_targets": ["16.3"],
        "created": torture["created"],
        "updated": torture["updated"],
    }
    assert re.fullmatch(r"[0-9a-f]{64}", torture["natural_key"])
    russian = next(r for r in data["recommendations"] if r["paragraph"] == "140.7")
    assert russian["document"]["symbol"] == "" and russian["document"]["session"] == "39"
    assert russian["sdg_targets"] == ["5.2", "16.3"]
    assert russian["sdg_goals"] == [5, 16]


def test_json_is_the_same_in_every_language(corpus):
    def records(lang):
        return read_json(Client(HTTP_ACCEPT_LANGUAGE=lang).get(url("json")))["recommendations"]

    assert records("en") == records("ru") == records("tg")


# --- Word matrix --------------------------------------------------------------------------------


def test_docx_matrix_groups_by_theme_with_responsible_bodies(client, corpus):
    response = client.get(url("docx"))

    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert re.fullmatch(
        rf'attachment; filename="adolat-recommendations-{TODAY}\.docx"', response["Content-Disposition"]
    )
    rows = read_docx(response)
    assert rows[0] == [
        "Recommendation and recommending states",
        "Position of the state",
        "Responsible bodies",
        "Implementation status",
    ]
    themes = [row[0] for row in rows if row[0] == row[-1] and row[0].startswith(("Theme:", "Without"))]
    # Each recommendation once, under its first theme in the vocabulary's order; none last.
    assert themes == [
        "Theme: Prohibition of torture & ill-treatment (including cruel, inhuman or degrading treatment)",
        "Theme: Human rights defenders",
        "Without a theme",
    ]
    body = [row for row in rows[1:] if row[0] != row[-1]]
    assert len(body) == len(PUBLISHED)
    torture = next(row for row in body if row[0].startswith("88.1 "))
    assert torture[0].startswith(
        "88.1 Criminalise torture in line with the Convention against Torture (Brazil) (Spain)"
    )
    assert "Source: A/HRC/19/3" in torture[0]
    assert torture[1] == "supported"
    assert torture[2] == "Lead: Ministry of Justice\nSupporting: Human Rights Commissioner"
    assert torture[3] == "in progress"
    russian = next(row for row in body if row[0].startswith("140.7 "))
    assert "Обеспечить защиту правозащитников [ru] (France)" in russian[0]
    assert russian[2] == "Lead: Executive Office of the President"  # through its cluster
    tajik = next(row for row in body if row[0].startswith("42(b) "))
    assert tajik[1] == ""  # a treaty body asks for no position
    assert tajik[2] == ""  # its only assignment is no longer active
    formula = next(row for row in body if row[0].startswith("88.2 "))
    assert formula[2] == ""  # assigned only through a rejected cluster
    twin = next(row for row in body if row[0].startswith("90.3 "))
    assert twin[1] == "supported\nThe State considers that it is already implemented."
    assert twin[2] == ""  # its cluster is not confirmed: not public
    # Rows follow their theme header.
    assert (
        rows.index(torture)
        < rows.index(next(row for row in rows if row[0] == "Theme: Human rights defenders"))
        < rows.index(russian)
    )


def test_docx_shows_coordinators_the_bodies_of_unconfirmed_clusters(coordinator_client, corpus):
    rows = read_docx(coordinator_client.get(url("docx")))

    twin = next(row for row in rows if row[0].startswith("90.3 "))
    assert twin[2] == "Lead: Human Rights Commissioner"
    draft = next(row for row in rows if row[0].startswith("91.1 "))
    assert draft[1] == "pending" and draft[3] == "partially implemented"


def test_docx_in_russian(corpus):
    rows = read_docx(Client(HTTP_ACCEPT_LANGUAGE="ru").get(url("docx")))

    assert rows[0][1] == "Позиция государства"
    torture = next(row for row in rows if row[0].startswith("88.1 "))
    assert torture[0].startswith("88.1 " + corpus["torture"].text_ru + " (Бразилия) (Испания)")
    assert "Министерство юстиции" in torture[2]


def test_docx_filtered_by_theme_groups_under_the_chosen_theme(client, corpus):
    rows = read_docx(client.get(url("docx", theme="detention-conditions")))

    headers = [row[0] for row in rows if row[0] == row[-1] and row[0].startswith("Theme:")]
    assert headers == ["Theme: Conditions of detention"]
    assert [row[0][:5] for row in rows[2:]] == ["88.1 "]


# --- Filters and visibility ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_export_applies_the_list_filters(client, corpus, fmt):
    response = client.get(url(fmt, position="noted"))
    if fmt == "json":
        assert [r["paragraph"] for r in read_json(response)["recommendations"]] == ["140.7"]
    elif fmt == "csv":
        assert [r["Paragraph"] for r in read_csv(response)] == ["140.7"]
    elif fmt == "xlsx":
        assert [r["Paragraph"] for r in read_xlsx(response)] == ["140.7"]
    else:
        body = [row for row in read_docx(response)[1:] if row[0] != row[-1]]
        assert [row[0].split()[0] for row in body] == ["140.7"]


def test_export_filters_combine_as_on_the_page(client, corpus):
    data = read_json(client.get(url("json", position=["supported", "noted"], state=["ES"], year=2011)))
    assert [r["paragraph"] for r in data["recommendations"]] == ["88.1", "90.3"]
    assert data["filters"] == {"position": ["supported", "noted"], "year": [2011], "state": ["ES"]}


def test_export_applies_the_search(client, corpus):
    data = read_json(client.get(url("json", q="пыток", theme="torture")))
    assert [r["paragraph"] for r in data["recommendations"]] == ["88.1"]
    assert data["filters"] == {"q": "пыток", "theme": ["torture"]}


def test_export_with_an_unknown_filter_value_is_refused(client, corpus):
    response = client.get(url("csv", theme="no-such-theme"))

    assert response.status_code == 400
    assert "no-such-theme" in response.content.decode()


def test_unknown_format_is_not_found(client, corpus):
    assert client.get(reverse("recommendations:export", args=["pdf"])).status_code == 404


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_anonymous_export_never_holds_an_unpublished_record(client, corpus, fmt):
    raw = content(client.get(url(fmt)))
    text = raw.decode("utf-8-sig") if fmt in ("csv", "json") else _unzipped_text(raw)

    assert "Draft about torture" not in text
    assert corpus["torture"].text_en.split()[0] in text


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_coordinator_export_holds_unpublished_records(coordinator_client, corpus, fmt):
    raw = content(coordinator_client.get(url(fmt)))
    text = raw.decode("utf-8-sig") if fmt in ("csv", "json") else _unzipped_text(raw)

    assert "Draft about torture" in text


@pytest.mark.parametrize("role", ["focal_point", "cso_contributor", "monitor", "viewer", "outsider"])
def test_members_without_an_editor_role_export_published_records_only(users, corpus, role):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(users[role])
    data = read_json(c.get(url("json")))

    assert data["published_only"] is True
    assert all(r["is_published"] for r in data["recommendations"])


def _unzipped_text(raw: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


# --- Bounded work per chunk ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_queries_do_not_grow_with_the_number_of_records(make_recommendation, corpus, fmt):
    def queries() -> int:
        export = exports.prepare(
            fmt, user=exports.SystemPrincipal(), filters=selectors.Filters(), language="en"
        )
        with CaptureQueriesContext(connection) as ctx:
            export.write(io.BytesIO())
        return len(ctx.captured_queries)

    before = queries()
    for i in range(10):
        make_recommendation(text_en=f"Another recommendation {i}", is_published=True)
    assert queries() == before


def test_records_are_read_in_chunks(monkeypatch, make_recommendation, corpus):
    """With chunks of 2 records the six of the corpus take three rounds of queries for their tags."""
    monkeypatch.setattr(common, "CHUNK_SIZE", 2)
    export = exports.prepare(
        "csv", user=exports.SystemPrincipal(), filters=selectors.Filters(), language="en"
    )
    with CaptureQueriesContext(connection) as ctx:
        export.write(io.BytesIO())
    prefetches = [
        q for q in ctx.captured_queries if "recommendations_recommendation_affected_groups" in q["sql"]
    ]
    assert len(prefetches) == 3


def _as_model_instances(monkeypatch) -> None:
    """Make the CSV and JSON read each record as a model instance, the way every row was formatted
    before they read values."""
    original = common._records
    monkeypatch.setattr(
        common,
        "_records",
        lambda qs, pks, vocab, *, light, **options: original(qs, pks, vocab, light=False, **options),
    )


@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("csv", "ru"), ("csv", "tg"), ("json", "en")])
def test_rows_read_as_values_export_exactly_as_model_instances(
    monkeypatch, make_recommendation, corpus, fmt, language
):
    countries = Country.objects.in_bulk(["BR", "ES", "FR"])
    make_recommendation(
        text_en="",
        text_ru="Запись без документа, введённая вручную",
        original_language="ru",
        year=2020,
        status="implemented",
        is_published=True,
    )
    make_recommendation(
        text_en="ZX: a record with every kind of tag",
        text_ru="ZX: запись со всеми видами меток",
        text_tg="ZX: сабт бо ҳама гуна барчаспҳо",
        document=SourceDocument.objects.get(symbol="CAT/C/TJK/CO/3"),
        paragraph="7",
        year=2019,
        position="supported",
        position_note="+ a note that starts like a formula",
        is_published=True,
        natural_key="k" * 64,
        recommending_states=list(countries.values()),
        themes=list(Theme.objects.order_by("-pk")[:3]),
        affected_groups=list(AffectedGroup.objects.all()[:2]),
        sdg_goals=[SdgGoal.objects.get(number=1)],
        sdg_targets=[SdgTarget.objects.get(code="16.10"), SdgTarget.objects.get(code="16.3")],
    )

    def export() -> bytes:
        export = exports.prepare(
            fmt, user=exports.SystemPrincipal(), filters=selectors.Filters(), language=language
        )
        return re.sub(rb'"generated_at": "[^"]*"', b"", b"".join(export.stream()))

    qs = common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters())
    assert all(isinstance(entry.rec, common.Row) for entry in common.entries(qs, light=True))
    as_values = export()
    with monkeypatch.context() as patched:
        _as_model_instances(patched)
        assert not any(isinstance(entry.rec, common.Row) for entry in common.entries(qs, light=True))
        as_instances = export()
    assert as_values == as_instances
    assert as_values.count(b"ZX: ") == (3 if fmt == "json" else 1)  # the texts in every language
    assert as_values.count("Запись без документа".encode()) == 1


def _bulk_records(n: int) -> None:
    """`n` published records, each with a recommending state, theme, group, goal and target."""
    recs = Recommendation.objects.bulk_create(
        Recommendation(
            country_id="TJ",
            mechanism=Mechanism.objects.get(code="UPR"),
            text_en=f"Record {i}",
            is_published=True,
        )
        for i in range(n)
    )
    tags = [
        (Recommendation.recommending_states, "country_id", "FR"),
        (Recommendation.themes, "theme_id", Theme.objects.get(code="torture").pk),
        (
            Recommendation.affected_groups,
            "affectedgroup_id",
            AffectedGroup.objects.get(code="women-girls").pk,
        ),
        (Recommendation.sdg_goals, "sdggoal_id", SdgGoal.objects.get(number=16).pk),
        (Recommendation.sdg_targets, "sdgtarget_id", SdgTarget.objects.get(code="16.3").pk),
    ]
    for relation, column, value in tags:
        relation.through.objects.bulk_create(
            relation.through(recommendation_id=r.pk, **{column: value}) for r in recs
        )


@pytest.mark.parametrize("fmt", exports.STREAMED)
def test_csv_and_json_queries_grow_with_chunks_never_with_rows(
    monkeypatch, db, django_assert_max_num_queries, fmt
):
    """Three chunks of 10 records take as many queries as three chunks of 100."""

    def export() -> tuple[int, bytes]:
        export = exports.prepare(
            fmt, user=exports.SystemPrincipal(), filters=selectors.Filters(), language="en"
        )
        with CaptureQueriesContext(connection) as ctx:
            data = b"".join(export.stream())
        return len(ctx.captured_queries), data

    _bulk_records(30)
    monkeypatch.setattr(common, "CHUNK_SIZE", 10)
    queries, data = export()
    assert data.count(b"Record ") == 30

    _bulk_records(270)
    monkeypatch.setattr(common, "CHUNK_SIZE", 100)
    with django_assert_max_num_queries(queries):
        _queries, data = export()
    assert data.count(b"Record ") == 300
    assert data.count(b"Women & girls" if fmt == "csv" else b'"women-girls"') == 300


def _every_kind_of_record(make_recommendation) -> None:
    """Beside the corpus: records with several tags of every relation, without a document, a year
    or a natural key (entered by hand), and one without any tag. The vocabularies are put in the
    reverse order of their ids, so that tags listed in the order a database aggregates them (often
    by id) are not listed in the vocabulary's order by chance."""
    for model in (Theme, AffectedGroup, SdgTarget):
        for i, pk in enumerate(model.objects.order_by("-pk").values_list("pk", flat=True)):
            model.objects.filter(pk=pk).update(sort_order=i)
    countries = Country.objects.in_bulk(["BR", "ES", "FR", "DE"])
    make_recommendation(
        text_en="A record with several tags of every kind",
        document=SourceDocument.objects.get(symbol="CAT/C/TJK/CO/3"),
        paragraph="7",
        year=2019,
        is_published=True,
        recommending_states=[countries["FR"], countries["BR"], countries["ES"]],
        themes=list(Theme.objects.order_by("-pk")[:3]),
        affected_groups=list(AffectedGroup.objects.order_by("-pk")[:2]),
        sdg_goals=[SdgGoal.objects.get(number=1), SdgGoal.objects.get(number=16)],
        sdg_targets=[SdgTarget.objects.get(code="16.10"), SdgTarget.objects.get(code="16.3")],
    )
    make_recommendation(text_en="", text_ru="Запись без документа и года", original_language="ru")
    make_recommendation(text_en="A record with no tag at all", is_published=True)


@pytest.mark.parametrize("light", [True, False])
def test_tags_read_with_each_record_are_its_tags_in_order(make_recommendation, corpus, light):
    """The tags come with the records, one aggregated string per record (GROUP_CONCAT on SQLite,
    STRING_AGG on PostgreSQL): each list holds the record's tags in the order the formats list them."""
    _every_kind_of_record(make_recommendation)
    qs = common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters())
    read = list(common.entries(qs, light=light))
    assert len(read) == Recommendation.objects.count()
    assert any(len(entry.themes) > 1 for entry in read)
    for entry in read:
        rec = Recommendation.objects.get(pk=entry.rec.pk)
        assert [c.code for c in entry.states] == sorted(c.code for c in rec.recommending_states.all())
        assert list(entry.themes) == list(rec.themes.all())
        assert list(entry.groups) == list(rec.affected_groups.all())
        assert list(entry.goals) == list(rec.sdg_goals.all())
        assert list(entry.targets) == list(rec.sdg_targets.all())


@pytest.mark.parametrize("light", [True, False])
def test_json_records_are_written_as_their_record_reads(make_recommendation, corpus, light):
    """The stream writes each record from pieces made once (`record_json`): the same text as the
    record encoded whole."""
    _every_kind_of_record(make_recommendation)
    qs = common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters())
    vocab = common.Vocabulary()
    shared = opendata.Shared(vocab)
    lines = 0
    for entry in common.entries(qs, vocab=vocab, light=light):
        line = opendata.record_json(entry, shared)
        assert line == opendata._dumps(opendata.recommendation_record(entry, shared))
        assert json.loads(line)["natural_key"]
        lines += 1
    assert lines == Recommendation.objects.count()


@pytest.mark.parametrize("light", [True, False])
def test_tags_read_once_for_the_whole_table_are_each_records_tags_in_order(
    monkeypatch, make_recommendation, corpus, light
):
    """An export covering most of the table reads each tag table once (`TagIndex`): each record
    gets the tags it has, listed as when they are read with it."""
    _every_kind_of_record(make_recommendation)
    monkeypatch.setattr(common, "WHOLE_TABLE_MIN", 1)
    snap = common.snapshot(
        common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters())
    )
    vocab = common.Vocabulary()
    read = list(common.entries(snap.queryset, vocab=vocab, light=light, snap=snap, chunk_size=2))
    assert vocab.index is not None
    with_records = list(common.entries(snap.queryset, light=light, chunk_size=2))
    assert [entry.rec.pk for entry in read] == [entry.rec.pk for entry in with_records]
    assert len(read) == Recommendation.objects.count()
    for once, each in zip(read, with_records, strict=True):
        assert once.tag_keys == each.tag_keys
        for kind in ("states", "themes", "groups", "goals", "targets"):
            assert list(getattr(once, kind)) == list(getattr(each, kind))


@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("csv", "ru"), ("json", "en")])
def test_exports_are_the_same_when_the_tags_are_read_once(
    monkeypatch, make_recommendation, corpus, fmt, language
):
    """With the tags of the whole table read once, the same bytes, and each tag table is read in one
    query whatever the number of chunks."""
    _every_kind_of_record(make_recommendation)
    monkeypatch.setattr(common, "CHUNK_SIZE", 2)

    def export() -> tuple[bytes, int]:
        export = exports.prepare(
            fmt, user=exports.SystemPrincipal(), filters=selectors.Filters(), language=language
        )
        with CaptureQueriesContext(connection) as ctx:
            data = re.sub(rb'"generated_at": "[^"]*"', b"", b"".join(export.stream()))
        reads = [
            q for q in ctx.captured_queries if "recommendations_recommendation_affected_groups" in q["sql"]
        ]
        return data, len(reads)

    chunks = -(-Recommendation.objects.count() // 2)
    assert chunks > 1
    with_records, reads = export()
    assert reads == chunks
    monkeypatch.setattr(common, "WHOLE_TABLE_MIN", 1)
    once, reads = export()
    assert once == with_records
    assert reads == 1


def test_a_filtered_export_reads_the_tags_with_its_records(monkeypatch, make_recommendation, corpus):
    """An export of few of the records, among many others (here two records of the seven from the
    first to the last), does not read every record's tags."""
    _every_kind_of_record(make_recommendation)  # the first of them has several tags
    for i in range(3):
        make_recommendation(text_en=f"Another record {i}", is_published=True)
    make_recommendation(text_en="One more with several tags", is_published=True)
    monkeypatch.setattr(common, "WHOLE_TABLE_MIN", 1)
    snap = common.snapshot(
        common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters(q="several tags"))
    )
    assert snap.top - snap.bottom + 1 == 7
    vocab = common.Vocabulary()
    read = {
        entry.rec.text_en: entry
        for entry in common.entries(snap.queryset, vocab=vocab, light=True, snap=snap)
    }
    assert set(read) == {"A record with several tags of every kind", "One more with several tags"}
    assert vocab.index is None
    assert len(read["A record with several tags of every kind"].themes) == 3


def test_an_export_of_a_run_of_records_reads_the_tags_of_those_records_only(
    monkeypatch, make_recommendation, corpus
):
    """An export of the records of one run of ids (the latest, say) reads the tags of that run once,
    whatever the records before it."""
    _every_kind_of_record(make_recommendation)
    monkeypatch.setattr(common, "WHOLE_TABLE_MIN", 1)
    snap = common.snapshot(
        common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters(q="several tags"))
    )
    assert snap.top == snap.bottom
    vocab = common.Vocabulary()
    read = list(common.entries(snap.queryset, vocab=vocab, light=True, snap=snap))
    assert [entry.rec.text_en for entry in read] == ["A record with several tags of every kind"]
    assert vocab.index is not None
    assert [len(lists) for lists in vocab.index.lists] == [1] * len(common.TAGS)
    assert len(read[0].themes) == 3


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a write from a second connection")
@pytest.mark.django_db(transaction=True)
def test_an_export_of_the_whole_table_is_one_moment_of_the_database(monkeypatch, make_recommendation):
    """On PostgreSQL an export that reads the tags once is one read-only REPEATABLE READ
    transaction: a record and its tags changed by someone else while it is written are exported as
    they were when it began, so the tags read first are those of the records read later."""
    # Its own theme: a transactional test may start after another emptied the vocabularies (and
    # serialized_rollback would load them twice where they are still there).
    torture, _ = Theme.objects.get_or_create(code="torture", defaults={"name_en": "Torture"})
    for text in ("One", "Two"):
        make_recommendation(text_en=text, is_published=True, themes=[torture])
    monkeypatch.setattr(common, "WHOLE_TABLE_MIN", 1)
    snap = common.snapshot(
        common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters())
    )
    read = common.entries(snap.queryset, light=True, snap=snap, chunk_size=1)
    first = next(read)
    with connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone() == ("repeatable read",)
        cursor.execute("SHOW transaction_read_only")
        assert cursor.fetchone() == ("on",)
    other = Recommendation.objects.exclude(pk=first.rec.pk).get()
    assert changed_by_another_request(other) == "Changed"
    assert [(entry.rec.text_en, [t.code for t in entry.themes]) for entry in read] == [
        (other.text_en, ["torture"])
    ]
    assert not connection.in_atomic_block  # the transaction ended with the export
    assert Recommendation.objects.get(pk=other.pk).text_en == "Changed"


@pytest.mark.parametrize(("fmt", "language"), [("csv", "en"), ("csv", "ru"), ("json", "en")])
def test_exports_are_the_same_when_what_they_remember_is_forgotten(
    monkeypatch, make_recommendation, corpus, fmt, language
):
    """Names, documents and lists of tags are made once and remembered, within a bound: an export
    that must forget them at once is the same."""
    _every_kind_of_record(make_recommendation)

    def export() -> bytes:
        export = exports.prepare(
            fmt, user=exports.SystemPrincipal(), filters=selectors.Filters(), language=language
        )
        return re.sub(rb'"generated_at": "[^"]*"', b"", b"".join(export.stream()))

    remembered = export()
    monkeypatch.setattr(common, "MEMO_LIMIT", 1)
    assert export() == remembered
    assert remembered.count(b"several tags of every kind") == 1


# --- The list page ------------------------------------------------------------------------------


def test_list_page_links_each_export_with_its_filters(client, corpus):
    response = client.get(reverse("recommendations:list"), {"position": "supported", "theme": "torture"})
    html = response.content.decode()

    for fmt in exports.FORMATS:
        link = re.search(rf'href="({re.escape(reverse("recommendations:export", args=[fmt]))}\?[^"]*)"', html)
        assert link, fmt
        target = link.group(1).replace("&amp;", "&")
        assert "position=supported" in target and "theme=torture" in target


# --- adolat export ------------------------------------------------------------------------------


def export_command(tmp_path, *args) -> tuple[str, str]:
    out = io.StringIO()
    path = tmp_path / f"out.{args[args.index('--format') + 1]}"
    call_command("export", *args, "-o", str(path), stdout=out, stderr=io.StringIO())
    return path, out.getvalue()


def test_command_exports_published_records_only_by_default(tmp_path, corpus):
    path, out = export_command(tmp_path, "--format", "json", "--language", "en")

    data = json.loads(path.read_bytes())
    assert data["count"] == len(PUBLISHED)
    assert data["published_only"] is True
    assert "5 recommendations exported" in out


def test_command_includes_unpublished_when_asked(tmp_path, corpus):
    path, _out = export_command(tmp_path, "--format", "json", "--include-unpublished")

    data = json.loads(path.read_bytes())
    assert data["count"] == len(corpus)
    assert data["published_only"] is False


def test_command_filters_repeat_as_on_the_page(tmp_path, corpus):
    path, _out = export_command(
        tmp_path,
        "--format",
        "csv",
        "--language",
        "en",
        "--position",
        "noted",
        "--position",
        "supported",
        "--year",
        "2011",
        "--state",
        "ES",
    )
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert sorted(r["Paragraph"] for r in rows) == ["88.1", "90.3"]


@pytest.mark.parametrize(("fmt", "reader"), [("xlsx", openpyxl.load_workbook), ("docx", docx.Document)])
def test_command_writes_office_files(tmp_path, corpus, fmt, reader):
    path, _out = export_command(tmp_path, "--format", fmt, "--language", "ru", "--mechanism", "UPR")

    assert reader(path) is not None


def test_command_in_tajik(tmp_path, corpus):
    path, _out = export_command(tmp_path, "--format", "csv", "--language", "tg")

    header = path.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Механизм,Ҳуҷҷати манбаъ,Иҷлосия,Банд,Сол,")


def test_command_refuses_an_unknown_filter_and_writes_nothing(tmp_path, corpus):
    with pytest.raises(CommandError, match="no-such-theme"):
        export_command(tmp_path, "--format", "json", "--theme", "no-such-theme")
    assert list(tmp_path.iterdir()) == []


# --- Round trip ---------------------------------------------------------------------------------


def whole_instance() -> bytes:
    out = io.BytesIO()
    exports.prepare("json", user=exports.SystemPrincipal(), filters=selectors.Filters(), language="en").write(
        out
    )
    return out.getvalue()


def empty_the_instance() -> None:
    Assignment.objects.all().delete()
    Cluster.objects.all().delete()
    Recommendation.objects.all().delete()
    SourceDocument.objects.all().delete()


def without_time(data: bytes) -> dict:
    parsed = json.loads(data)
    parsed.pop("generated_at")
    return parsed


def test_round_trip_into_an_empty_instance_gives_the_same_records(corpus):
    first = whole_instance()
    empty_the_instance()
    assert Recommendation.objects.count() == SourceDocument.objects.count() == 0

    summary = load_json(first)

    assert summary.ok, summary.errors
    assert (summary.created, summary.unchanged) == (len(corpus), 0)
    assert SourceDocument.objects.count() == 3
    second = whole_instance()
    assert without_time(second) == without_time(first)
    # Byte for byte too, apart from the time it was made.
    strip = re.compile(rb'"generated_at": "[^"]*"')
    assert strip.sub(b"", second) == strip.sub(b"", first)


def test_loading_the_same_file_again_changes_nothing(corpus):
    data = whole_instance()
    empty_the_instance()
    load_json(data)
    before = whole_instance()

    summary = load_json(data)

    assert summary.ok and (summary.created, summary.unchanged) == (0, len(corpus))
    assert without_time(whole_instance()) == without_time(before)


def test_loading_into_the_instance_it_came_from_changes_nothing(corpus):
    summary = load_json(whole_instance())

    assert summary.ok and (summary.created, summary.unchanged) == (0, len(corpus))
    assert Recommendation.objects.count() == len(corpus)


def test_load_restores_the_search_index_and_history(corpus):
    data = whole_instance()
    empty_the_instance()
    load_json(data)

    found = selectors.recommendation_list(
        user=exports.SystemPrincipal(), filters=selectors.Filters(q="правозащитников")
    )
    assert [r.paragraph for r in found] == ["140.7"]
    from adolat.lib.models import AuditEntry

    assert AuditEntry.objects.filter(
        object_type="recommendations.recommendation", action="create", source="import"
    ).count() == len(corpus)


def test_unknown_vocabulary_codes_are_errors_and_nothing_is_written(corpus):
    data = json.loads(whole_instance())
    data["recommendations"][0]["themes"].append("no-such-theme")
    data["recommendations"][2]["recommending_states"] = ["XX"]
    data["recommendations"][3]["document"]["mechanism"] = "NOPE"
    empty_the_instance()

    summary = load_json(json.dumps(data).encode())

    assert [e["row"] for e in summary.errors] == [1, 3, 4]
    assert (
        'Record 1, field "themes": "no-such-theme" is not a code of the vocabulary'
        in summary.errors[0]["message"]
    )
    assert 'field "recommending_states": "XX"' in summary.errors[1]["message"]
    assert 'field "document.mechanism": "NOPE"' in summary.errors[2]["message"]
    assert Recommendation.objects.count() == SourceDocument.objects.count() == 0
    assert not Theme.objects.filter(code="no-such-theme").exists()
    assert (summary.created, summary.unchanged) == (0, 0)


def test_a_document_described_two_ways_is_an_error(corpus):
    data = json.loads(whole_instance())
    same_doc = [
        r for r in data["recommendations"] if r["document"] and r["document"]["symbol"] == "A/HRC/19/3"
    ]
    same_doc[1]["document"]["year"] = 1999
    empty_the_instance()

    summary = load_json(json.dumps(data).encode())

    assert len(summary.errors) == 1
    assert "A/HRC/19/3 is described differently" in summary.errors[0]["message"]
    assert Recommendation.objects.count() == 0


def test_a_record_without_natural_key_gets_the_computed_one(corpus):
    data = json.loads(whole_instance())
    for record in data["recommendations"]:
        del record["natural_key"]
    empty_the_instance()

    assert load_json(json.dumps(data).encode()).created == len(corpus)
    assert not Recommendation.objects.filter(natural_key="").exists()
    # And loading it again (keys computed again the same way) changes nothing.
    assert load_json(json.dumps(data).encode()).unchanged == len(corpus)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "cannot be read as JSON"),
        (b'{"format": "something-else", "recommendations": []}', 'its "format" is "something-else"'),
        (b'{"format": "adolat-recommendations", "version": "2.0", "recommendations": []}', "version"),
        (b'{"format": "adolat-recommendations", "version": "1.0"}', 'no "recommendations" list'),
        (
            b'{"format": "adolat-recommendations", "version": "1.0", "recommendations": [{"country": "TJ"}]}',
            'Record 1: the field "mechanism" is missing.',
        ),
        (
            b'{"format": "adolat-recommendations", "version": "1.0", "recommendations": '
            b'[{"country": "TJ", "mechanism": "UPR", "text": {"en": ""}}]}',
            "Record 1: the recommendation has no text in any language.",
        ),
        (
            b'{"format": "adolat-recommendations", "version": "1.0", "recommendations": '
            b'[{"country": "TJ", "mechanism": "UPR", "text": {"en": "x"}, "position": "maybe"}]}',
            'Record 1, field "position": "maybe" is not a valid value.',
        ),
    ],
)
def test_files_that_are_not_open_data_are_refused(db, data, message):
    summary = load_json(data)

    assert not summary.ok
    assert message in summary.errors[0]["message"]
    assert Recommendation.objects.count() == 0


def test_dry_run_counts_and_writes_nothing(corpus):
    data = whole_instance()
    empty_the_instance()

    summary = load_json(data, dry_run=True)

    assert summary.ok and summary.created == len(corpus)
    assert Recommendation.objects.count() == SourceDocument.objects.count() == 0


def test_load_open_data_command(tmp_path, corpus):
    path = tmp_path / "open-data.json"
    path.write_bytes(whole_instance())
    empty_the_instance()

    out = io.StringIO()
    call_command("load-open-data", str(path), "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == len(corpus)
    assert Recommendation.objects.count() == 0

    out = io.StringIO()
    call_command("load-open-data", str(path), stdout=out)
    assert "created:   6" in out.getvalue()
    assert Recommendation.objects.count() == len(corpus)


def test_load_open_data_command_fails_with_every_error(tmp_path, corpus):
    data = json.loads(whole_instance())
    data["recommendations"][0]["status"] = "finished"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    err = io.StringIO()

    with pytest.raises(CommandError, match="nothing was loaded, 1 error"):
        call_command("load-open-data", str(path), stdout=io.StringIO(), stderr=err)
    assert 'field "status": "finished"' in err.getvalue()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a second connection on the snapshot")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["opens", "cannot open"])
def test_records_read_ahead_by_a_second_connection_are_those_of_the_exports_moment(
    monkeypatch, caplog, make_recommendation, second
):
    """On PostgreSQL a whole-table export reads each chunk's records on a second connection while
    the chunk before is written (`common._Ahead`), on the export's own snapshot: a record changed
    by someone else after the export began, before the second connection read anything, is
    exported as it was. When the second connection cannot open, the export reads everything on
    its own connection, the same records."""
    torture, _ = Theme.objects.get_or_create(code="torture", defaults={"name_en": "Torture"})
    for text in ("One", "Two", "Three"):
        make_recommendation(text_en=text, is_published=True, themes=[torture])
    monkeypatch.setattr(common, "WHOLE_TABLE_MIN", 1)
    snap = common.snapshot(
        common.export_queryset(user=exports.SystemPrincipal(), filters=selectors.Filters())
    )
    expected = [entry.rec.text_en for entry in common.entries(snap.queryset, light=True, snap=snap)]
    changed = Recommendation.objects.get(text_en=expected[0])
    done = []
    original_open, original_rows = common._Ahead._open, common._Ahead._rows
    opened = []

    def open_after_a_change(self, *args):
        done.append(changed_by_another_request(changed))
        if second == "cannot open":
            raise psycopg.OperationalError("too many clients already")
        original_open(self, *args)
        opened.append(self.db)

    ahead_reads = []
    monkeypatch.setattr(common._Ahead, "_open", open_after_a_change)
    monkeypatch.setattr(
        common._Ahead, "_rows", lambda self, *args: ahead_reads.append(args) or original_rows(self, *args)
    )
    read = [
        (entry.rec.text_en, [t.code for t in entry.themes])
        for entry in common.entries(snap.queryset, light=True, snap=snap, chunk_size=1)
    ]

    assert done == ["Changed"]
    assert read == [(text, ["torture"]) for text in expected]
    assert len(ahead_reads) == (len(expected) if second == "opens" else 0)
    assert not connection.in_atomic_block
    assert Recommendation.objects.get(pk=changed.pk).text_en == "Changed"
    # The second connection is closed with the export.
    assert [db.closed for db in opened] == ([True] if second == "opens" else [])
    # Said once, naming no record.
    warnings = [r.getMessage() for r in caplog.records if r.name == common.logger.name]
    assert warnings == (
        [] if second == "opens" else ["The export reads its records on one connection: OperationalError"]
    )


def changed_by_another_request(rec: Recommendation) -> str:
    """Change `rec`'s text and take its themes away as another request would, on its own
    connection, committed; the text that connection then reads."""
    read = []

    def change():
        try:
            Recommendation.objects.filter(pk=rec.pk).update(text_en="Changed")
            rec.themes.clear()
            read.append(Recommendation.objects.get(pk=rec.pk).text_en)
        finally:
            connections.close_all()

    writer = threading.Thread(target=change)
    writer.start()
    writer.join()
    return read[0]
