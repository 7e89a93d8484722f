"""Every UI string exists in Tajik and Russian, and the main pages show no English left over."""

import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", ["tg", "ru"])
def test_catalogue_is_complete(lang):
    po = catalogue(lang)
    missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated {lang} strings, e.g. {missing[:5]}"


@pytest.mark.parametrize("lang", ["tg", "ru"])
def test_placeholders_survive_translation(lang):
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]")
    for entry in catalogue(lang).translated_entries():
        expected = sorted(placeholder.findall(entry.msgid))
        forms = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for form in forms:
            # A plural form may leave out the number (Russian "одна"), never add or rename one.
            assert set(placeholder.findall(form)) <= set(expected) | set(
                placeholder.findall(entry.msgid_plural)
            ), entry.msgid


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def pages(users, make_recommendation):
    rec = make_recommendation(
        text_en="Ratify OPCAT",
        text_ru="Ратифицировать ФП КПП",
        text_tg="ФП КПП-ро ратификатсия кунед",
        position="supported",
        is_published=True,
    )
    return [
        ("anonymous", reverse("recommendations:list")),
        ("anonymous", reverse("recommendations:list") + "?q=nothing-matches-this"),
        ("anonymous", reverse("recommendations:detail", args=[rec.pk])),
        ("anonymous", reverse("accounts:login")),
        ("coordinator", reverse("recommendations:detail", args=[rec.pk])),
        ("coordinator", reverse("accounts:account")),
        ("coordinator", reverse("accounts:password-change")),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["tg", "ru"])
def test_pages_show_no_untranslated_ui_strings(client, users, pages, lang):
    translated = {e.msgid: e.msgstr for e in catalogue(lang).translated_entries() if not e.msgid_plural}
    # Strings whose translation differs and that are long enough not to occur by chance.
    candidates = [
        m for m, s in translated.items() if s != m and len(m) >= 5 and "%" not in m and "<" not in m
    ]
    for who, url in pages:
        client.logout()
        own_data = []
        if who != "anonymous":
            client.force_login(users[who])
            own_data = [users[who].email, users[who].full_name]  # the person's data, not UI text
        client.cookies["django_language"] = "en"
        english = _visible_text(client.get(url).content.decode())
        client.cookies["django_language"] = lang
        local = _visible_text(client.get(url).content.decode())
        for value in own_data:
            english, local = english.replace(value, " "), local.replace(value, " ")
        shown_in_english = [m for m in candidates if re.search(rf"\b{re.escape(m)}\b", english)]
        assert shown_in_english, f"{url}: the check found no UI string at all"
        left_over = [m for m in shown_in_english if re.search(rf"\b{re.escape(m)}\b", local)]
        assert not left_over, f"{url} in {lang} still shows: {left_over}"
