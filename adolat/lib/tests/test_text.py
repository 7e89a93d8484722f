from hypothesis import given
from hypothesis import strategies as st

from adolat.lib.text import fold, words


def test_tajik_letters_fold_onto_russian_keyboard_letters():
    assert fold("Ҳуқуқи инсон, ҷойи маҳрумият, ғизо, ӯ, ӣ") == "хукуки инсон, чойи махрумият, гизо, у, и"


def test_case_and_accents_fold_but_cyrillic_short_i_stays():
    assert fold("Côte d'Ivoire ЙОД Ёлка") == "cote d'ivoire йод елка"


def test_words_are_the_folded_tokens():
    assert words("Права человека (CAT/C/TJK/CO/3); пытки!") == [
        "права",
        "человека",
        "cat",
        "c",
        "tjk",
        "co",
        "3",
        "пытки",
    ]


@given(st.text())
def test_fold_is_idempotent_and_never_fails(text):
    once = fold(text)
    assert fold(once) == once


def _reference_fold(text: str) -> str:
    """fold as first written (character by character); the fast one must give the same."""
    import unicodedata

    from adolat.lib.text import _FOLD

    text = (text or "").lower().translate(str.maketrans(dict(_FOLD)))
    text = text.replace("й", "\x00")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text).replace("\x00", "й")


_LETTERS = (
    "aeiouAEIOUéÉçÇñÑüÜõàÀǅẞİıﬁ\x00 ҳҲқҚҷҶғҒӣӢӯӮёЁәӘӏӀйЙиИ\u0306\u0301\u0300\u0308\u0327\u1100\u1161\u11a8"
)


@given(st.text() | st.text(alphabet=_LETTERS))
def test_fold_gives_what_the_character_by_character_fold_gave(text):
    assert fold(text) == _reference_fold(text)


def test_fold_of_plain_ascii_and_of_nothing():
    assert fold("Ensure Access to JUSTICE, 2026.") == "ensure access to justice, 2026."
    assert fold("") == fold(None) == ""
    assert fold("a\x00b") == _reference_fold("a\x00b")
