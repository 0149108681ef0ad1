"""What a post carries is taken off before matching; long inputs are also matched sentence by sentence."""

from __future__ import annotations

import pytest

from claims.matching.posts import MAX_SEGMENTS, clean_post, prepare


@pytest.mark.parametrize(
    ("post", "kept", "gone"),
    [
        (
            "RT @DrJaneSmith: BREAKING!!! 5G towers SPREAD the coronavirus 😱😱 #StopThe5G https://t.co/abc123",
            ["5G towers", "coronavirus", "Stop The 5G"],
            ["RT", "@", "http", "t.co", "😱", "BREAKING", "#"],
        ),
        (
            "@bob @alice lol no. Vaccines contain microchips that track people. Forwarded many times",
            ["Vaccines contain microchips"],
            ["@bob", "Forwarded"],
        ),
        (
            "HOST: So, uh, you know, the minister said [applause] crime fell by 12% last year.",
            ["the minister said", "crime fell by 12% last year"],
            ["HOST", "uh,", "[applause]", "you know"],
        ),
        (
            "Reenviado muchas veces. Las vacunas contienen microchips!!! Compartan antes de que lo borren 🙏",
            ["Las vacunas contienen microchips!"],
            ["Reenviado", "Compartan", "🙏", "!!"],
        ),
        (
            "Transféré plusieurs fois : le vaccin modifie l'ADN, partagez avant qu'ils suppriment",
            ["le vaccin modifie l'ADN"],
            ["Transféré", "partagez"],
        ),
        ("تمت إعادة توجيهه عدة مرات اللقاح يحتوي على شريحة", ["اللقاح يحتوي على شريحة"], ["توجيهه"]),
        (
            "this is sooooo true… 1/3 🧵 the moon landing was filmed in a studio",
            ["soo true", "moon landing was filmed"],
            ["ooo", "1/3", "🧵"],
        ),
        ("Mentions of @BarackObama and @who_int stay as names", ["Barack Obama", "who int"], ["@"]),
        ("people still share this stuff about 5G", ["share this stuff"], []),
    ],
)
def test_clean_post(post, kept, gone):
    cleaned = clean_post(post)
    for words in kept:
        assert words in cleaned, cleaned
    for words in gone:
        assert words not in cleaned, cleaned


def test_shouting_is_lowered_but_a_few_capitals_stay():
    assert (
        clean_post("THE GOVERNMENT IS PUTTING FLUORIDE IN THE WATER")
        == "the government is putting fluoride in the water"
    )
    assert clean_post("The WHO says the NHS is fine") == "The WHO says the NHS is fine"


def test_a_post_of_nothing_but_links_and_emoji_is_matched_as_sent():
    assert prepare("https://t.co/x 😱😱").text == "https://t.co/x 😱😱"
    assert prepare("").text == ""


def test_long_inputs_keep_their_sentences_short_ones_do_not():
    short = prepare("Drinking hot water with lemon cures cancer, my aunt says")
    assert short.segments == ()
    long = prepare(
        "I cannot believe people still share this stuff. My aunt sent it to me on WhatsApp yesterday morning. "
        "She says drinking hot water with lemon cures cancer in two weeks. Please stop. Wow."
    )
    assert "She says drinking hot water with lemon cures cancer in two weeks." in long.segments
    assert "Wow." not in long.segments and "Please stop." not in long.segments  # too short to match alone
    assert long.all[0] == long.text


def test_a_rambling_transcript_keeps_at_most_the_longest_sentences_in_order():
    sentences = [
        f"Speaker number {i} says that the river near town {i} rose by {i} metres this week." for i in range(20)
    ]
    sentences[7] = (
        "And the minister claimed that unemployment in the whole country fell to the lowest level since records began in 1971."
    )
    prepared = prepare(" ".join(sentences))
    assert len(prepared.segments) == MAX_SEGMENTS
    assert sentences[7] in prepared.segments
    positions = [sentences.index(segment) for segment in prepared.segments]
    assert positions == sorted(positions)
