"""Paragraph and sentence splitting: abbreviations, quotes, numbers and other languages."""

from __future__ import annotations

import pytest

from claims.sentences import split_paragraphs, split_sentences


def test_paragraphs_split_on_blank_lines_and_single_newlines_without_empties():
    text = "  First paragraph.\r\n\r\n\n Second one.  \nThird line\n\n   \n"
    assert split_paragraphs(text) == ["First paragraph.", "Second one.", "Third line"]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_no_paragraphs_in_blank_text(text):
    assert split_paragraphs(text) == []


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Dr. Smith said U.S. GDP grew 2.5 per cent in Q3. Unemployment fell.",
            ["Dr. Smith said U.S. GDP grew 2.5 per cent in Q3.", "Unemployment fell."],
        ),
        (
            "The rate was 3.5% vs. 4.1% in Jan. 2020. It rose again.",
            ["The rate was 3.5% vs. 4.1% in Jan. 2020.", "It rose again."],
        ),
        (
            "Mr. Jones wrote books, e.g. The Hobbit parody. He died in 1973.",
            ["Mr. Jones wrote books, e.g. The Hobbit parody.", "He died in 1973."],
        ),
        (
            "Apple Inc. reported $3.2 bn in revenue. Shares rose 4 p.c. on Monday.",
            ["Apple Inc. reported $3.2 bn in revenue.", "Shares rose 4 p.c. on Monday."],
        ),
        (
            "It was 3 p.m. in Washington. What happened? No. 10 declined to comment.",
            ["It was 3 p.m. in Washington.", "What happened?", "No. 10 declined to comment."],
        ),
    ],
    ids=["titles-and-acronyms", "decimals-and-months", "e.g.", "inc-and-money", "times-questions-no."],
)
def test_english_abbreviations_and_numbers(paragraph, expected):
    assert split_sentences(paragraph) == expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ('He said: "It\'s over." Then left.', ['He said: "It\'s over."', "Then left."]),
        (
            "\u201cWe won,\u201d she said. \u201cIt was hard.\u201d The crowd cheered!",
            ["\u201cWe won,\u201d she said.", "\u201cIt was hard.\u201d", "The crowd cheered!"],
        ),
    ],
)
def test_quotes_stay_with_their_sentence(paragraph, expected):
    assert split_sentences(paragraph) == expected


@pytest.mark.parametrize(
    ("language", "paragraph", "expected"),
    [
        (
            "fr",
            "M. Dupont a dit que le PIB a augmenté de 2,5 % en 2023. Le chômage a baissé.",
            ["M. Dupont a dit que le PIB a augmenté de 2,5 % en 2023.", "Le chômage a baissé."],
        ),
        (
            "fr",
            "Selon l'Insee, l'inflation était de 4,9 % en janv. 2023. Elle a reculé depuis.",
            ["Selon l'Insee, l'inflation était de 4,9 % en janv. 2023.", "Elle a reculé depuis."],
        ),
        (
            "fr",
            "« C'est fini », a-t-il déclaré. Puis il est parti.",
            ["« C'est fini », a-t-il déclaré.", "Puis il est parti."],
        ),
        (
            "de",
            "Am 3. Oktober 1990 wurde Deutschland wiedervereinigt. Das ist z. B. ein Feiertag.",
            ["Am 3. Oktober 1990 wurde Deutschland wiedervereinigt.", "Das ist z. B. ein Feiertag."],
        ),
        (
            "de",
            "Dr. Müller sagte, das BIP sei um 2,5 Prozent gestiegen. Die Firma XY GmbH meldete 12 Mio. Euro Verlust.",
            [
                "Dr. Müller sagte, das BIP sei um 2,5 Prozent gestiegen.",
                "Die Firma XY GmbH meldete 12 Mio. Euro Verlust.",
            ],
        ),
        (
            "es",
            "El Sr. García dijo que el PIB creció un 2,5 % en 2023. ¿Es cierto? Sí, según el INE.",
            ["El Sr. García dijo que el PIB creció un 2,5 % en 2023.", "¿Es cierto?", "Sí, según el INE."],
        ),
    ],
)
def test_other_languages(language, paragraph, expected):
    assert split_sentences(paragraph, language) == expected


def test_regional_language_tags_use_the_base_language_rules():
    assert split_sentences("Dr. Who arrived. Yes.", "en-GB") == ["Dr. Who arrived.", "Yes."]
    assert split_sentences("M. Martin est là. Oui.", "fr_CA") == ["M. Martin est là.", "Oui."]


def test_unknown_language_still_splits():
    assert split_sentences("Hello there. Bye now.", "zz") == ["Hello there.", "Bye now."]


@pytest.mark.parametrize("paragraph", ["", "   ", "\n"])
def test_blank_paragraph_has_no_sentences(paragraph):
    assert split_sentences(paragraph) == []


def test_garbage_and_huge_input_do_not_crash():
    assert split_sentences("\x00\xff\x00 junk. More") == ["\x00\xff\x00 junk.", "More"]
    huge = "The figure rose by 5 per cent. " * 20_000
    sentences = split_sentences(huge)
    assert len(sentences) == 20_000
    assert set(sentences) == {"The figure rose by 5 per cent."}


def test_a_piece_starting_in_lower_case_is_not_a_new_sentence():
    assert split_sentences("He earned 5 mln. in 2020. Then he left.") == ["He earned 5 mln. in 2020.", "Then he left."]
