from hypothesis import given
from hypothesis import strategies as st

from adolat.lib.text import fold, fold_joined, words


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
    "ΣσΟΔ"  # a capital sigma lowers to ς at the end of a word
)


@given(st.text() | st.text(alphabet=_LETTERS))
def test_fold_gives_what_the_character_by_character_fold_gave(text):
    assert fold(text) == _reference_fold(text)


def test_fold_of_plain_ascii_and_of_nothing():
    assert fold("Ensure Access to JUSTICE, 2026.") == "ensure access to justice, 2026."
    assert fold("") == fold(None) == ""
    assert fold("a\x00b") == _reference_fold("a\x00b")


@given(st.text() | st.text(alphabet=_LETTERS), st.text() | st.text(alphabet=_LETTERS))
def test_a_text_and_repeated_names_fold_apart_as_they_fold_together(text, names):
    """A search document's states' names are folded once for all the records they follow
    (fold_joined): as the whole document would fold, whatever ends the text or starts the names
    (a sigma, accents, jamo that compose)."""
    joined = " ".join(part for part in (text, names) if part)
    assert fold_joined(text, names) == fold(joined)


def test_fold_joined_at_the_edges():
    assert fold_joined("ΟΔΟΣ", "Ҳиндустон") == fold("ΟΔΟΣ Ҳиндустон") == "οδος хиндустон"
    assert fold_joined("e", "\u0301a") == fold("e \u0301a")
    assert fold_joined("", "Ёлка") == "елка" and fold_joined("Ёлка", "") == "елка"
