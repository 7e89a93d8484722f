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
