"""django-otp-webauthn's scripts show their messages (the button while a passkey is added, errors)
in the reader's language: the package translates them into neither Russian nor Tajik, Adolat's
catalogues do (locale/*/LC_MESSAGES/djangojs.po: Django adds LOCALE_PATHS to the package's
JavaScript catalogue, served at otp_webauthn:js-i18n-catalog, and they take precedence)."""

import json
import re
from pathlib import Path

import django_otp_webauthn
import polib
import pytest
from django.conf import settings
from django.urls import reverse

SCRIPTS = Path(django_otp_webauthn.__file__).parent / "static" / "django_otp_webauthn"
LOCALE = Path(settings.LOCALE_PATHS[0])


def _asked() -> set[str]:
    """Every message the package's scripts ask gettext for."""
    found = set()
    for script in SCRIPTS.glob("*.js"):
        for literal in re.findall(r'gettext\(("(?:[^"\\]|\\.)*")\)', script.read_text(encoding="utf-8")):
            found.add(json.loads(literal))
    return found


def _catalogue(client, lang: str) -> dict:
    response = client.get(reverse("otp_webauthn:js-i18n-catalog"), HTTP_ACCEPT_LANGUAGE=lang, secure=True)
    assert response.status_code == 200
    return json.loads(re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), re.S).group(1))


@pytest.mark.parametrize("lang", ["ru", "tg"])
def test_every_message_of_the_passkey_scripts_is_translated_and_served(client, lang):
    asked = _asked()
    assert "Registering..." in asked and len(asked) >= 20  # the scripts were read
    po = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "djangojs.po"))
    translated = {e.msgid: e.msgstr for e in po.translated_entries() if not e.fuzzy}
    missing = sorted(asked - set(translated))
    assert not missing, f"{len(missing)} passkey messages not in {lang}, e.g. {missing[:3]}"
    # What the page's script receives (not another language's: the catalogue falls back on the
    # default language's).
    served = _catalogue(client, lang)
    assert {m: served.get(m) for m in asked} == {m: translated[m] for m in asked}


def test_the_button_reads_in_russian_and_tajik_while_a_passkey_is_added(client):
    assert _catalogue(client, "ru")["Registering..."] == "Добавление ключа доступа…"
    assert _catalogue(client, "tg")["Registration successful!"] == "Калиди дастрасӣ илова карда шуд."
