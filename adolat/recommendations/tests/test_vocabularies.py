"""The vocabularies shipped with the product: what the migration loads, that reloading is safe for
administrators' edits, that every UPR Info issue maps somewhere, and their administration."""

import csv
import io
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from adolat.conftest import SHARED_DATA, needs_shared_data
from adolat.lib.models import AuditEntry
from adolat.lib.text import fold
from adolat.recommendations import vocabularies
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    LabelMapping,
    Mechanism,
    Recommendation,
    SdgGoal,
    SdgTarget,
    Theme,
)

UPR_INFO_EXPORT = SHARED_DATA / "upr-info" / "upr-info-export-sessions-10-13.csv"

MECHANISM_CODES = {
    "UPR": "upr",
    "CAT": "treaty_body",
    "CCPR": "treaty_body",
    "CESCR": "treaty_body",
    "CEDAW": "treaty_body",
    "CRC": "treaty_body",
    "CRPD": "treaty_body",
    "CERD": "treaty_body",
    "CMW": "treaty_body",
    "CED": "treaty_body",
    "SPT": "spt",
    "SP": "special_procedures",
    "DIALOGUE": "national",
    "OMBUDSMAN": "national",
}

# The issue labels of the UPR Info database, as its exports spell them.
UPR_INFO_LABELS = [
    "Asylum-seekers - refugees",
    "CP rights - general",
    "Civil society",
    "Corruption",
    "Counter-terrorism",
    "Death penalty",
    "Detention",
    "Development",
    "Disabilities",
    "ESC rights - general",
    "Elections",
    "Enforced disappearances",
    "Environment",
    "Extrajudicial executions",
    "Freedom of association and peaceful assembly",
    "Freedom of movement",
    "Freedom of opinion and expression",
    "Freedom of religion and belief",
    "Freedom of the press",
    "General",
    "HIV - Aids",
    "Human rights defenders",
    "Human rights education and training",
    "Human rights violations by state agents",
    "Impunity",
    "Indigenous peoples",
    "Internally displaced persons",
    "International humanitarian law",
    "International instruments",
    "Justice",
    "Labour",
    "Migrants",
    "Minorities",
    "NHRI",
    "National plan of action",
    "Other",
    "Poverty",
    "Public security",
    "Racial discrimination",
    "Right to education",
    "Right to food",
    "Right to health",
    "Right to housing",
    "Right to land",
    "Right to water",
    "Rights of the Child",
    "Sexual Orientation and Gender Identity",
    "Special procedures",
    "Technical assistance and cooperation",
    "Torture and other CID treatment",
    "Trafficking",
    "Treaty bodies",
    "UPR process",
    "Women's rights",
]

TAJIK_LETTERS = set("ҳқҷғӣӯ")


def _has_three_names(obj) -> bool:
    return all((getattr(obj, f) or "").strip() for f in ("name_tg", "name_ru", "name_en"))


# --- What a fresh `adolat migrate` holds ----------------------------------------------------------


@pytest.mark.django_db
def test_migrations_load_mechanisms_with_their_kinds_and_names():
    mechanisms = {m.code: m for m in Mechanism.objects.all()}
    assert set(MECHANISM_CODES) <= set(mechanisms)
    for code, kind in MECHANISM_CODES.items():
        assert mechanisms[code].kind == kind
        assert _has_three_names(mechanisms[code]), code
    assert mechanisms["CAT"].name_en == "Committee against Torture"
    assert mechanisms["CAT"].name_ru == "Комитет против пыток"
    assert mechanisms["CAT"].name_tg == "Кумита зидди шиканҷа"
    assert {m.kind for m in mechanisms.values()} <= set(Mechanism.Kind.values)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Theme, AffectedGroup], ids=["themes", "affected groups"])
def test_migrations_load_themes_and_groups_in_three_languages(model):
    rows = list(model.objects.all())
    assert len(rows) >= 20
    for row in rows:
        assert _has_three_names(row), row.code
        # Tajik is written in Tajik Cyrillic, not left in Russian: most names use its letters,
        # and none is a copy of the Russian.
        assert row.name_tg != row.name_ru, row.code
    with_tajik_letters = [r for r in rows if TAJIK_LETTERS & set(r.name_tg.lower())]
    assert len(with_tajik_letters) > len(rows) * 0.6


@pytest.mark.django_db
def test_migrations_load_the_themes_importers_rely_on():
    torture = Theme.objects.get(code="torture")
    assert torture.name_en == (
        "Prohibition of torture & ill-treatment (including cruel, inhuman or degrading treatment)"
    )
    assert "шиканҷа" in torture.name_tg
    assert "пыток" in torture.name_ru
    assert AffectedGroup.objects.get(code="persons-deprived-of-liberty").name_en == (
        "Persons deprived of their liberty & detainees"
    )


@pytest.mark.django_db
def test_migrations_load_sdg_goals_and_targets():
    assert SdgGoal.objects.count() == 17
    assert SdgTarget.objects.count() == 169
    for target in SdgTarget.objects.all():
        assert target.title_en and target.title_ru and target.title_tg, target.code
    # Letters stay in the codes, and the source order is kept (1.5 before 1.a).
    assert list(SdgTarget.objects.filter(goal=1).values_list("code", flat=True)) == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "1.a",
        "1.b",
    ]
    goal = SdgGoal.objects.get(number=16)
    assert goal.short_en == "Peace, justice and strong institutions"
    assert goal.title_ru and goal.title_tg and goal.short_tg


@pytest.mark.django_db
def test_migrations_load_every_state():
    assert Country.objects.count() >= 249
    tj = Country.objects.get(code="TJ")
    assert (tj.name_en, tj.name_ru, tj.name_tg) == ("Tajikistan", "Таджикистан", "Тоҷикистон")


# --- Label mappings -------------------------------------------------------------------------------


def _labels_in_upr_info_export() -> set[str]:
    """The issue labels of the raw export: Mac Roman, CR line ends, several labels per cell."""
    text = UPR_INFO_EXPORT.read_bytes().decode("mac_roman")
    labels = set()
    for row in csv.DictReader(io.StringIO(text, newline="")):
        labels.update(part.strip() for part in row["Issue"].split(",") if part.strip())
    return labels


@pytest.mark.django_db
@needs_shared_data
def test_every_issue_of_a_real_upr_info_export_is_mapped():
    labels = _labels_in_upr_info_export()
    assert len(labels) == 54
    assert labels == set(UPR_INFO_LABELS)
    table = vocabularies.label_mapping(LabelMapping.Source.UPR_INFO)
    for label in labels:
        themes, groups = table[label]
        assert themes or groups, label


@pytest.mark.django_db
def test_upr_info_mapping_covers_exactly_the_known_labels():
    """A misspelt label in the data file would map nothing and leave a real label unmapped."""
    table = vocabularies.label_mapping(LabelMapping.Source.UPR_INFO)
    assert set(table) == {vocabularies.normalise_label(label) for label in UPR_INFO_LABELS}
    themes, groups = table["Women's rights"]
    assert [g.code for g in groups] == ["women-girls"]
    assert themes
    themes, groups = table["Detention"]
    assert [t.code for t in themes] == ["detention-conditions"]
    assert [g.code for g in groups] == ["persons-deprived-of-liberty"]
    assert [t.code for t in table["Torture and other CID treatment"][0]] == ["torture"]


@pytest.mark.django_db
def test_label_mapping_ignores_case_and_spaces_and_merges_spellings():
    extra = Theme.objects.get(code="non-discrimination")
    LabelMapping.objects.create(source="upr_info", label="  women's   RIGHTS ", theme=extra)
    table = vocabularies.label_mapping("upr_info")
    themes, groups = table["WOMEN'S RIGHTS"]
    assert extra in themes and len(themes) == 2
    assert " women's rights " in table
    assert table.get("no such label") is None


@pytest.mark.django_db
def test_uhri_labels_map_onto_the_vocabularies():
    table = vocabularies.label_mapping(LabelMapping.Source.UHRI)
    torture = "Prohibition of torture & ill-treatment (including cruel, inhuman or degrading treatment)"
    assert [t.code for t in table[torture][0]] == ["torture"]
    assert [g.code for g in table["Women & girls"][1]] == ["women-girls"]
    assert [t.code for t in table["Human trafficking & contemporary forms of slavery"][0]] == ["trafficking"]
    # Every theme and group is reachable under its own English name.
    for theme in Theme.objects.all():
        assert theme in table[theme.name_en][0]
    for group in AffectedGroup.objects.all():
        assert group in table[group.name_en][1]


# --- Reloading -------------------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    models = [Country, Mechanism, Theme, AffectedGroup, SdgGoal, SdgTarget, LabelMapping]
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.django_db
def test_loading_again_creates_nothing():
    before = _counts()
    result = vocabularies.load_all(apps)
    assert all(counts == {"created": 0, "filled": 0} for counts in result.values()), result
    assert _counts() == before


@pytest.mark.django_db
def test_reload_keeps_edited_names_fills_empty_ones_and_restores_missing_rows():
    Theme.objects.filter(code="torture").update(name_ru="Пытки (исправлено администратором)")
    Theme.objects.filter(code="death-penalty").update(name_tg="")
    SdgTarget.objects.filter(code="16.3").update(title_tg="")
    Mechanism.objects.filter(code="CED").delete()

    result = vocabularies.load_all(apps)

    assert Theme.objects.get(code="torture").name_ru == "Пытки (исправлено администратором)"
    assert Theme.objects.get(code="death-penalty").name_tg == "Ҷазои қатл"
    assert SdgTarget.objects.get(code="16.3").title_tg
    assert Mechanism.objects.get(code="CED").name_en == "Committee on Enforced Disappearances"
    assert result["themes"] == {"created": 0, "filled": 1}
    assert result["sdg_targets"] == {"created": 0, "filled": 1}
    assert result["mechanisms"] == {"created": 1, "filled": 0}


@pytest.mark.django_db
def test_reload_does_not_double_a_label_an_administrator_respelt():
    mapping = LabelMapping.objects.get(source="upr_info", label="Right to food")
    mapping.label = "right to FOOD"
    mapping.save()
    vocabularies.load_all(apps)
    assert LabelMapping.objects.filter(source="upr_info", label__iexact="right to food").count() == 1


@pytest.mark.django_db
def test_load_vocabularies_command_reports_as_json_and_text():
    out = io.StringIO()
    call_command("load-vocabularies", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["themes"] == {"created": 0, "filled": 0}

    Theme.objects.filter(code="corruption").delete()
    out = io.StringIO()
    with translation.override("en"):
        call_command("load-vocabularies", stdout=out)
    assert "themes: 1 created" in out.getvalue()


# --- Administration ---------------------------------------------------------------------------------


VOCABULARY_ADMINS = [
    "country",
    "mechanism",
    "theme",
    "affectedgroup",
    "sdggoal",
    "sdgtarget",
    "labelmapping",
    "sourcedocument",
    "recommendation",
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", VOCABULARY_ADMINS)
def test_admin_changelists_render(admin_client, model, make_recommendation):
    make_recommendation()
    url = reverse(f"admin:recommendations_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "torture"}).status_code == 200


@pytest.mark.django_db
def test_admin_sdg_goal_page_shows_its_targets(admin_client):
    response = admin_client.get(reverse("admin:recommendations_sdggoal_change", args=[16]))
    assert response.status_code == 200
    assert "16.a" in response.content.decode()


@pytest.mark.django_db
def test_admin_autocomplete_finds_countries_by_alias(admin_client):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "DPR Korea",
            "app_label": "recommendations",
            "model_name": "recommendation",
            "field_name": "recommending_states",
        },
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == ["KP"]


def _form_data(rec: Recommendation, **changes) -> dict:
    """The admin form's POST data for `rec` as it stands, with `changes` applied."""

    def pks(relation: str) -> list:
        return list(getattr(rec, relation).values_list("pk", flat=True)) if rec.pk else []

    data = {
        "country": rec.country_id,
        "mechanism": rec.mechanism_id,
        "document": rec.document_id or "",
        "paragraph": rec.paragraph,
        "text_tg": rec.text_tg,
        "text_ru": rec.text_ru,
        "text_en": rec.text_en,
        "original_language": rec.original_language,
        "recommending_states": pks("recommending_states"),
        "position": rec.position,
        "status": rec.status,
        "themes": pks("themes"),
        "affected_groups": pks("affected_groups"),
        "sdg_goals": pks("sdg_goals"),
        "sdg_targets": pks("sdg_targets"),
        "year": rec.year or "",
        "_save": "Save",
    }
    if rec.is_published:
        data["is_published"] = "on"
    data.update(changes)
    return data


@pytest.mark.django_db
def test_admin_edit_of_a_recommendation_reindexes_and_is_audited(
    admin_client, admin_user, make_recommendation
):
    rec = make_recommendation()
    target = SdgTarget.objects.get(code="16.3")
    torture = Theme.objects.get(code="torture")
    url = reverse("admin:recommendations_recommendation_change", args=[rec.pk])

    response = admin_client.post(
        url,
        _form_data(
            rec,
            paragraph="88.12",
            text_ru="Ратифицировать Факультативный протокол к Конвенции против пыток",
            recommending_states=["FR", "DE"],
            themes=[torture.pk],
            sdg_targets=[target.pk],
            position="supported",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    rec.refresh_from_db()
    assert rec.text_ru.startswith("Ратифицировать")
    for word in ("ратифицировать", "optional", "88", "france", "франция"):
        assert fold(word) in rec.search_document, word
    assert set(rec.sdg_goals.values_list("pk", flat=True)) == {16}  # the goal of the target
    entry = AuditEntry.objects.get(
        object_type="recommendations.recommendation", object_id=str(rec.pk), source="admin"
    )
    assert entry.action == "update"
    assert entry.actor == admin_user
    assert {"text_ru", "paragraph", "recommending_states", "themes", "sdg_targets", "sdg_goals"} <= set(
        entry.changes
    )
    assert entry.changes["themes"] == [[], [torture.pk]]
    assert entry.changes["sdg_goals"] == [[], [16]]

    # Saving again without a change writes no history.
    response = admin_client.post(url, _form_data(rec))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(source="admin", object_id=str(rec.pk)).count() == 1


@pytest.mark.django_db
def test_admin_add_and_delete_of_a_recommendation_are_audited(admin_client):
    tj, upr = Country.objects.get(code="TJ"), Mechanism.objects.get(code="UPR")
    data = _form_data(
        Recommendation(country=tj, mechanism=upr, original_language="en"),
        text_en="Abolish the death penalty",
    )
    response = admin_client.post(reverse("admin:recommendations_recommendation_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rec = Recommendation.objects.get(text_en="Abolish the death penalty")
    assert "abolish" in rec.search_document
    created = AuditEntry.objects.get(object_id=str(rec.pk), action="create")
    assert created.source == "admin" and created.changes["text_en"] == [None, "Abolish the death penalty"]

    response = admin_client.post(
        reverse("admin:recommendations_recommendation_delete", args=[rec.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Recommendation.objects.filter(pk=rec.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(rec.pk), action="delete", source="admin").exists()


@pytest.mark.django_db
def test_admin_refuses_a_recommendation_without_text(admin_client, make_recommendation):
    rec = make_recommendation()
    url = reverse("admin:recommendations_recommendation_change", args=[rec.pk])
    response = admin_client.post(url, _form_data(rec, text_en=" ", text_ru="", text_tg=""))
    assert response.status_code == 200
    assert "at least one language" in response.content.decode()
    rec.refresh_from_db()
    assert rec.text_en.startswith("Ratify")
