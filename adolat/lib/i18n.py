"""Per-language fields (`name_tg`, `name_ru`, `name_en`) and the fallback rule.

A text missing in the reader's language is shown in another one, and the page says so: the
caller gets the language actually used and marks the text when it differs from the request.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class Localized:
    text: str
    language: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        return bool(self.text) and self.language != self.requested

    def __str__(self) -> str:
        return self.text


def current_language() -> str:
    lang = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return lang if lang in LANGUAGE_CODES else settings.LANGUAGE_CODE


def fallback_order(lang: str, original: str | None = None) -> list[str]:
    """The requested language first, then the original language, then tg, ru, en."""
    order = [lang]
    if original and original not in order:
        order.append(original)
    # Tajik readers read Russian, Russian readers English; English readers the original.
    for code in {"tg": ["ru", "en"], "ru": ["en", "tg"], "en": ["ru", "tg"]}.get(lang, LANGUAGE_CODES):
        if code not in order:
            order.append(code)
    return order


def localized(obj, field: str, lang: str | None = None, original: str | None = None) -> Localized:
    lang = lang or current_language()
    for code in fallback_order(lang, original):
        value = getattr(obj, f"{field}_{code}", "") or ""
        if value.strip():
            return Localized(value, code, lang)
    return Localized("", lang, lang)


class LocalizedNameMixin:
    """For vocabulary models with name_tg/name_ru/name_en."""

    @property
    def name(self) -> str:
        return localized(self, "name").text

    def __str__(self) -> str:
        return self.name
