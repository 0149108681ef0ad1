"""Claim matching: paraphrases found, contradictions kept apart, links made for every intake channel."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from claims.choices import Channel, ClaimStatus, MatchKind
from claims.intake.services import claim_submit, claims_import
from claims.matching import services as matching
from claims.matching.comparison import contradictions, features, numbers
from claims.models import Claim, ClaimEmbedding, ClaimMatch
from claims.tasks import index_claims, match_claims
from tests.claims.broker import drain
from tests.factories import ClaimFactory, StaffFactory

MATCH_TASK = "claims.tasks.match_claims"

pytestmark = pytest.mark.django_db

EARLIER = [
    "Unemployment fell to 3.5% in 2023, the lowest rate in fifty years.",
    "The government spent 5 million dollars on the new bridge over the river.",
    "Crime in London rose by 12% last year according to police figures.",
    "The COVID-19 vaccine contains microchips that track people.",
    "Germany closed its last three nuclear power plants in April 2023.",
    "Sea levels have risen by 20 centimetres since 1900.",
    "The mayor never signed the contract with the construction company.",
]


def drain_match_messages() -> list[list[int]]:
    """Empty the test broker; return the claim ids of every ``match_claims`` message it held (sweeps send those)."""
    return [message.args[0] for message in drain(run_followups=False).others if message.task == MATCH_TASK]


@pytest.fixture(autouse=True)
def empty_broker():
    drain(run_followups=False)
    yield
    drain(run_followups=False)


@pytest.fixture
def desk() -> list[Claim]:
    claims = [ClaimFactory(text=text) for text in EARLIER]
    matching.claims_index([claim.pk for claim in claims])
    return claims


def best(text: str, **kwargs) -> matching.SimilarClaim:
    found = matching.find_similar(text, min_score=0, **kwargs)
    assert found, f"nothing found for {text!r}"
    return found[0]


# --------------------------------------------------------------------------- the features


@pytest.mark.parametrize(
    "text",
    ["5,000,000 people", "5 million people", "five million people", "5m people", "5\u202f000\u202f000 people"],
)
def test_numbers_written_differently_are_one_number(text):
    assert numbers(text) == {Decimal(5_000_000)}


def test_percentages_and_decimal_commas():
    assert numbers("3.5%") == numbers("3.5 per cent") == numbers("3,5 %") == {Decimal("3.5")}
    assert numbers("twenty-three and half a million") == {Decimal(23), Decimal(500_000)}


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("Unemployment rose to 5% in 2023.", "Unemployment did not rise to 5% in 2023.", "negation"),
        ("Unemployment rose to 5% in 2023.", "Unemployment fell to 5% in 2023.", "direction"),
        ("Unemployment rose to 5% in 2023.", "Unemployment rose to 6% in 2023.", "numbers"),
        ("Crime in London rose by 12% last year.", "Crime in Paris rose by 12% last year.", "names"),
    ],
)
def test_contradictions(a, b, reason):
    assert reason in contradictions(features(a), features(b))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3 millones de personas", 3_000_000),
        ("3 milhões de pessoas", 3_000_000),
        ("3 Millionen Menschen", 3_000_000),
        ("3 millions de personnes", 3_000_000),
        ("3 ملايين شخص", 3_000_000),
        ("39 mil dólares por paciente", 39_000),
        ("2 milliards d'euros", 2_000_000_000),
        ("5 mil millones de dólares", 5_000_000_000),
    ],
)
def test_figures_are_read_with_the_scale_words_of_other_languages(text, value):
    assert numbers(text) == {Decimal(value)}


def test_polarity_and_direction_words_are_read_with_their_accents_or_without():
    assert features("El desempleo aumentó un 5%").direction == features("El desempleo aumento un 5%").direction == 1
    assert features("O desemprego não caiu em 2023").negated is True
    assert features("O desemprego não caiu em 2023").direction == -1
    assert features("Le vaccin ne protège pas contre le virus").negated is True  # "ne … pas" is one negation
    assert features("لم يرتفع عدد السكان").negated is True


def test_a_name_spelt_as_another_language_spells_it_is_the_same_name():
    portuguese = features("As Maldivas vão estar debaixo d'água até 2030.")
    assert contradictions(portuguese, features("The Maldives will be under water by 2030.")) == []
    party = features("O partido de Imran Khan ganhou dois terços das cadeiras em 2024")
    assert "names" not in contradictions(party, features("Imran Khan's party won two thirds of the seats in 2024."))
    assert "names" in contradictions(
        features("Crime in Austria rose by 12%."), features("Crime in Australia rose by 12%.")
    )


def test_a_passage_of_several_sentences_has_no_one_polarity():
    passage = features("I don't usually share these things. 5G masts spread the coronavirus.")
    claim = features("5G masts spread the coronavirus.")
    assert "negation" in contradictions(passage, claim)  # read as one sentence, it is negated
    assert "negation" not in contradictions(passage.of_passage(), claim)
    assert "negation" not in contradictions(claim, passage.of_passage())


def test_shouting_names_nobody():
    assert features("THE COVID-19 VACCINE CONTAINS MICROCHIPS THAT TRACK PEOPLE!!!").names == frozenset()
    assert features("The WHO says the NHS in London is short of 40,000 nurses.").names >= {"who", "nhs", "london"}


def test_restatements_do_not_contradict():
    a = features("Crime in London rose by 12% last year.")
    assert contradictions(a, features("London crime up 12 percent in the past year")) == []
    assert contradictions(a, features("crime in london rose")) == []  # shortened: fewer figures is not other figures


# --------------------------------------------------------------------------- finding matches


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("London crime up 12 percent in the past year, say police", 2),
        ("Germany shut down its final 3 nuclear plants in April 2023", 4),
        ("the government spent $5,000,000 on the new bridge", 1),
        ("THE COVID-19 VACCINE CONTAINS MICROCHIPS THAT TRACK PEOPLE!!!", 3),
        ("Since 1900 the sea level has gone up by twenty centimetres.", 5),
        ("The jobless rate dropped to 3.5 percent in 2023, a 50-year low.", 0),
    ],
)
def test_paraphrases_find_the_earlier_claim_first(desk, text, expected):
    match = best(text)
    assert match.claim_id == desk[expected].pk
    assert match.kind == MatchKind.DUPLICATE


def test_restatement_is_a_duplicate(desk):
    match = best("Crime in London rose 12% last year, according to police figures")
    assert (match.claim_id, match.kind) == (desk[2].pk, MatchKind.DUPLICATE)
    assert 0 < match.score <= 1


@pytest.mark.parametrize(
    ("text", "earlier", "conflict"),
    [
        ("Unemployment did not fall to 3.5% in 2023, the lowest rate in fifty years.", 0, "negation"),
        ("Unemployment fell to 4.5% in 2023, the lowest rate in fifty years.", 0, "numbers"),
        ("Crime in Paris rose by 12% last year according to police figures.", 2, "names"),
        ("Crime in London fell by 12% last year according to police figures.", 2, "direction"),
    ],
)
def test_contradicting_texts_are_similar_never_duplicates(desk, text, earlier, conflict):
    found = matching.find_similar(text, min_score=0)
    assert (found[0].claim_id, found[0].kind) == (desk[earlier].pk, MatchKind.SIMILAR)
    assert conflict in found[0].conflicts
    assert all(match.kind != MatchKind.DUPLICATE for match in found)


def test_unrelated_text_matches_nothing(desk):
    assert matching.find_similar("The new museum opens its doors to visitors on Saturday morning.") == []


def test_short_texts_need_the_stricter_threshold(desk, settings):
    settings.MATCH_DUPLICATE_THRESHOLD = 0.5
    settings.MATCH_SHORT_DUPLICATE_THRESHOLD = 0.99
    match = best("covid vaccine microchips")
    assert match.claim_id == desk[3].pk
    assert match.kind == MatchKind.SIMILAR


def test_filters_and_limit(desk):
    text = EARLIER[2]
    assert best(text).claim_id == desk[2].pk
    assert all(m.claim_id != desk[2].pk for m in matching.find_similar(text, exclude_claim_id=desk[2].pk, min_score=0))
    assert all(m.claim_id < desk[2].pk for m in matching.find_similar(text, before_claim_id=desk[2].pk, min_score=0))
    assert matching.find_similar(text, published_only=True, min_score=0) == []
    Claim.objects.filter(pk=desk[2].pk).update(status=ClaimStatus.PUBLISHED)
    assert [m.claim_id for m in matching.find_similar(text, published_only=True)] == [desk[2].pk]
    assert len(matching.find_similar(text, limit=2, min_score=0)) <= 2


def test_scores_are_deterministic(desk):
    text = "Germany shut down its final 3 nuclear plants in April 2023"
    assert matching.find_similar(text, min_score=0) == matching.find_similar(text, min_score=0)


@pytest.mark.parametrize("text", [EARLIER[0], "BREAKING: London crime up 12 percent!! #police", "Nuclear plants"])
def test_a_short_list_is_the_head_of_the_long_one(desk, text):
    """Candidates that cannot reach the ``limit``-th score are skipped unscored: nothing that belongs is lost."""
    everything = matching.find_similar(text, limit=100, min_score=0)
    assert len(everything) == len(desk)  # min_score 0: every claim is scored
    for limit in (1, 2, 3, 5):
        assert matching.find_similar(text, limit=limit, min_score=0) == everything[:limit]
    above = [match for match in everything if match.score >= 0.3]
    assert matching.find_similar(text, limit=100, min_score=0.3) == above
    assert matching.find_similar(text, limit=0) == []


@pytest.mark.parametrize(
    "text", ["", "   ", "\x00\xff\x01", "?!…", "x" * 5_000_000, "C:\\budget\\x it's \\' & | ! ( ) :* <-> \"q\""]
)
def test_hostile_texts(desk, text):
    found = matching.find_similar(text)
    assert all(0 <= m.score <= 1 for m in found)
    if not any(ch.isalnum() for ch in text):  # nothing to match on
        assert found == []


def test_dense_candidates_need_no_shared_word(desk):
    """Every stored vector is searched: a restatement sharing no word with the claim is still a candidate."""

    from claims.matching import embeddings

    prepared = matching.prepare("Joblessness hit a half-century low two years ago")
    vector = embeddings.embed([prepared.text])[0]
    _, found = matching._candidates_dense(prepared, vector, matching._Filters())
    assert desk[0].pk in found
    _, found = matching._candidates_dense(prepared, vector, matching._Filters(exclude_claim_id=desk[0].pk))
    assert desk[0].pk not in found


# --------------------------------------------------------------------------- the index stays current


def test_new_claim_is_findable_before_any_worker_runs(desk):
    claim = ClaimFactory(text="Wind turbines kill more birds than cats do every year.")
    assert not ClaimEmbedding.objects.filter(claim=claim).exists()
    assert best("Cats kill fewer birds each year than wind turbines do").claim_id == claim.pk


def test_edited_text_is_matched_by_its_new_words(desk):
    claim = desk[5]
    Claim.objects.filter(pk=claim.pk).update(text="Bees are disappearing from half of European farms.", text_key="x")
    assert best("Bees are vanishing from half the farms in Europe").claim_id == claim.pk
    assert all(m.claim_id != claim.pk for m in matching.find_similar("sea levels rose 20 cm since 1900"))
    Claim.objects.filter(pk=claim.pk).update(created_at=claim.created_at - timedelta(minutes=5))
    assert claim.pk in set(matching.claims_unmatched().values_list("id", flat=True))  # its vector is stale
    matching.claims_index([claim.pk])
    assert ClaimEmbedding.objects.get(claim=claim).text_key == "x"


def test_deleted_claim_is_gone_from_the_index(desk):
    desk[4].delete()
    assert all(m.claim_id != desk[4].pk for m in matching.find_similar(EARLIER[4], min_score=0))
    assert not ClaimEmbedding.objects.filter(claim_id=desk[4].pk).exists()


# --------------------------------------------------------------------------- links made after intake


def test_claims_match_links_duplicates_and_is_idempotent(desk):
    new = ClaimFactory(text="Crime in London rose 12% last year, according to police figures")
    matching.claims_match([new.pk])
    matching.claims_match([new.pk])
    links = list(ClaimMatch.objects.filter(claim=new))
    assert [(link.matched_id, link.kind) for link in links][:1] == [(desk[2].pk, MatchKind.DUPLICATE)]
    assert len({link.matched_id for link in links}) == len(links)
    assert ClaimEmbedding.objects.filter(claim=new).exists()
    assert new.pk not in set(matching.claims_unmatched().values_list("id", flat=True))


def test_only_earlier_claims_are_linked(desk):
    matching.claims_match([desk[2].pk])
    later = ClaimFactory(text="Crime in London rose 12% last year, according to police figures")
    matching.claims_match([desk[2].pk])
    assert not ClaimMatch.objects.filter(claim=desk[2], matched=later).exists()


def run_queued_matching() -> list[int]:
    """Run what the broker holds as a worker would; return the ids of the claims it was asked to match."""
    drained = drain()  # intake follow-ups run here and send the new claims to the matcher's queue
    batches = [message.args[0] for message in drained.others if message.task == MATCH_TASK]
    for batch in batches:
        match_claims(batch)
    return [claim_id for batch in batches for claim_id in batch]


def duplicate_of(claim: Claim) -> list[int]:
    return list(ClaimMatch.objects.filter(claim=claim, kind=MatchKind.DUPLICATE).values_list("matched_id", flat=True))


def test_every_intake_channel_queues_matching_after_commit(desk, django_capture_on_commit_callbacks):
    paraphrase = "Crime in London rose 12% last year, according to police figures"
    with django_capture_on_commit_callbacks(execute=True):
        api = claim_submit({"text": paraphrase}, channel=Channel.API).claim
    with django_capture_on_commit_callbacks(execute=True):
        form = claim_submit({"text": paraphrase + "!"}, channel=Channel.FORM, user=StaffFactory()).claim
    with django_capture_on_commit_callbacks(execute=True):
        reports = claims_import([{"text": paraphrase + " (import)"}])
    imported = Claim.objects.get(pk=reports[0].id)
    assert sorted(run_queued_matching()) == sorted([api.pk, form.pk, imported.pk])
    for claim in (api, form, imported):
        assert desk[2].pk in duplicate_of(claim)


def test_nothing_is_queued_before_commit(desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim_submit({"text": "A brand new claim about the harbour budget of 2024."}, channel=Channel.API)
    unsent = drain(run_followups=False)
    assert callbacks and unsent.followups == [] and unsent.others == []


def test_a_bulk_is_embedded_before_any_of_it_is_matched(desk, monkeypatch):
    """A large import becomes findable as soon as it is embedded, not only once every claim is matched."""
    bulk = [ClaimFactory(text=f"The harbour of town {n} spent {n} million on dredging.") for n in range(5)]
    drain(run_followups=False)
    ids = [claim.pk for claim in bulk]
    monkeypatch.setattr(matching, "TASK_BATCH", 2)
    assert matching.claims_match_enqueue(ids) == len(ids)
    messages = drain(run_followups=False).others
    assert [m.task for m in messages] == [matching.INDEX_TASK] * 3 + [MATCH_TASK] * 3
    assert [m.args[0] for m in messages[:3]] == [m.args[0] for m in messages[3:]] == [ids[:2], ids[2:4], ids[4:]]
    index_claims(*messages[0].args)  # as the matcher runs it: findable before any match task ran
    assert best(bulk[1].text).claim_id == bulk[1].pk
    assert not ClaimMatch.objects.filter(claim_id__in=ids).exists()


def test_one_batch_goes_straight_to_matching(desk):
    claim = ClaimFactory(text="The harbour budget tripled in 2025.")
    drain(run_followups=False)
    matching.claims_match_enqueue([claim.pk])
    assert [m.task for m in drain(run_followups=False).others] == [MATCH_TASK]


def test_sweep_queues_claims_whose_message_was_lost(desk, settings):
    matching.claims_match([claim.pk for claim in desk])
    lost = ClaimFactory(text="The harbour budget doubled in 2024.")
    Claim.objects.filter(pk=lost.pk).update(created_at=lost.created_at - timedelta(minutes=5))
    Claim.objects.filter(pk__in=[c.pk for c in desk]).update(created_at=lost.created_at - timedelta(minutes=5))
    assert matching.claims_match_sweep() == 1
    assert [claim_id for batch in drain_match_messages() for claim_id in batch] == [lost.pk]
    matching.claims_match([lost.pk])
    assert matching.claims_match_sweep() == 0  # matched now: nothing left to sweep


# --------------------------------------------------------------------------- API


def test_similar_to_text_api(desk, make_key, api_client):
    _, raw = make_key("read")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api_client.get("/api/v1/claims/similar/", {"text": "London crime up 12 percent last year", "limit": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body[0]["claim_id"] == desk[2].pk
    assert set(body[0]) >= {"claim_id", "text", "score", "kind"}
    assert len(body) <= 3


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 5001}, "text"), ({"text": "a", "limit": 0}, "limit"),
     ({"text": "a", "limit": "many"}, "limit"), ({"text": "a", "limit": 51}, "limit")],
)  # fmt: skip
def test_similar_to_text_api_refuses_bad_input(desk, make_key, api_client, params, field):
    _, raw = make_key("read")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api_client.get("/api/v1/claims/similar/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_similar_of_a_claim_api(desk, make_key, api_client):
    new = ClaimFactory(text="Crime in London rose 12% last year, according to police figures")
    _, raw = make_key("read")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = api_client.get(f"/api/v1/claims/{new.pk}/similar/").json()
    assert body[0]["claim_id"] == desk[2].pk and body[0]["kind"] == "duplicate"
    assert all(row["claim_id"] != new.pk for row in body)
    assert api_client.get("/api/v1/claims/999999/similar/").status_code == 404


def test_similar_api_needs_the_read_scope(desk, make_key, api_client):
    assert api_client.get("/api/v1/claims/similar/", {"text": "crime"}).status_code == 401
    _, raw = make_key("intake")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.get("/api/v1/claims/similar/", {"text": "crime"}).status_code == 403


@pytest.mark.integration  # PostgreSQL's word statistics: without PostgreSQL it skips loudly, and fails in CI
def test_lookup_reads_the_statistics_again_when_the_desk_outgrew_them(settings, monkeypatch):
    """Statistics read when the desk was small would let common words flood the lookup and cut the
    real match out: an overflowing lookup reads them again and asks once more."""
    settings.MATCH_CANDIDATE_ROWS = 2  # a lookup stops at 6 claims
    for n in range(30):
        ClaimFactory(text=f"The city budget grew by {n} percent, officials said in report number {n}.")
    target = ClaimFactory(text="The Zorblax budget grew in Quuxton last year.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    stale = matching._LexemeStats(claims=1.0, loaded_at=time.monotonic() - 60)  # read when the desk was empty
    monkeypatch.setattr(matching, "_stats", stale)
    found = matching._candidates_fulltext("Zorblax budget grew in Quuxton", "en", matching._Filters())
    assert target.pk in found
    assert matching._stats.claims > 1  # read again


# --------------------------------------------------------------------------- posts and other languages

CROSS_LANGUAGE = [
    ("es", "Las vacunas contra el COVID-19 llevan microchips para rastrear a la gente 😱 compartan", 3),
    ("fr", "Le vaccin contre le covid contient des micropuces pour suivre la population", 3),
    ("de", "Deutschland hat im April 2023 seine letzten drei Atomkraftwerke abgeschaltet", 4),
    ("pt", "O nível do mar subiu 20 centímetros desde 1900, dizem os cientistas", 5),
    ("ar", "ارتفع مستوى سطح البحر بمقدار 20 سنتيمترا منذ عام 1900", 5),
]


@pytest.mark.parametrize(("language", "text", "expected"), CROSS_LANGUAGE, ids=[row[0] for row in CROSS_LANGUAGE])
def test_a_restatement_in_another_language_finds_the_english_claim(desk, language, text, expected):
    found = matching.find_similar(text, language=language)
    assert found and found[0].claim_id == desk[expected].pk
    assert found[0].kind in (MatchKind.SIMILAR, MatchKind.DUPLICATE)


def test_an_english_post_finds_a_claim_stored_in_another_language(desk):
    spanish = ClaimFactory(
        text="El alcalde de Madrid prohibió los coches diésel en todo el centro de la ciudad.", language="es"
    )
    matching.claims_index([spanish.pk])
    assert best("Madrid's mayor banned diesel cars from the entire city centre").claim_id == spanish.pk


def test_a_noisy_post_is_at_least_similar_to_the_claim_it_restates(desk):
    post = (
        "RT @newsguy: omg 😱😱 my cousin works at the hospital and she told me. "
        "THE COVID JAB HAS A MICROCHIP INSIDE SO THEY CAN TRACK YOU!!! #WakeUp #Plandemic https://t.co/x1 share before they delete"
    )
    found = matching.find_similar(post)
    assert found and found[0].claim_id == desk[3].pk
    assert found[0].kind in (MatchKind.SIMILAR, MatchKind.DUPLICATE)


@pytest.mark.parametrize(
    "text",
    [
        "Unemployment fell to 5.5% in 2023, the lowest rate in fifty years.",  # another figure
        "Crime in London fell by 12% last year according to police figures.",  # the other direction
        "The mayor signed the contract with the construction company.",  # negation dropped
        "Crime in Paris rose by 12% last year according to police figures.",  # another place
    ],
)
def test_a_same_topic_different_claim_is_never_a_duplicate(desk, text):
    assert all(match.kind != MatchKind.DUPLICATE for match in matching.find_similar(text, min_score=0))


@pytest.fixture
def embedded_texts(monkeypatch) -> list[list[str]]:
    """Every batch of texts the real model embeds during the test (a spy: the model still runs)."""
    from claims.matching import embeddings

    batches: list[list[str]] = []
    real_embed = embeddings._embed  # what every encode runs, on the engine's thread

    def spy(texts, *args):
        batches.append(list(texts))
        return real_embed(texts, *args)

    monkeypatch.setattr(embeddings, "_embed", spy)
    return batches


NEAR_LONG_POST = (
    "Unemployment fell to 3.5% in 2023, which is the lowest rate in fifty years. "
    "The jobless rate has not been this low in five decades, the figures say."
)
# Its whole is far from every claim (cosine 0.32 to the buried one, under SEGMENTS_BELOW_COSINE): only a sentence finds it.
BURIED_CLAIM_POST = (
    "Had the best coffee this morning at the new place downtown. "
    "My cousin says the football season starts again next month. "
    "Our dog learned to open the fridge, no joke. "
    "Germany closed its last three nuclear power plants in April 2023. "
    "We spent the whole afternoon at the zoo watching penguins. "
    "My grandmother bakes the best apple pie in the whole town. "
    "The new bakery on the corner sells bread shaped like cats. "
    "My sister is painting her kitchen a bright yellow colour. "
    "The neighbours are having a loud party again on Saturday. "
    "Anyway, the weather here has been lovely all week long. "
    "Off to the dentist now, wish me luck. "
    "The kids want pizza again tonight."
)


def test_a_long_post_near_a_claim_as_a_whole_is_not_split_into_sentences(desk, embedded_texts):
    assert matching.prepare(NEAR_LONG_POST).segments  # long enough to be split
    assert best(NEAR_LONG_POST).claim_id == desk[0].pk
    assert sum(len(batch) for batch in embedded_texts) == 1  # the whole only


def test_a_claim_buried_in_a_long_post_is_found_by_its_sentence(desk, embedded_texts):
    prepared = matching.prepare(BURIED_CLAIM_POST)
    assert best(BURIED_CLAIM_POST).claim_id == desk[4].pk
    assert [text for batch in embedded_texts for text in batch] == list(prepared.all)


@pytest.mark.parametrize(
    ("post", "earlier"),
    [
        # Near the claim as a whole: its sentences are not embedded, the one sharing most words restates it.
        (
            "Unemployment did not fall to 3.5% in 2023, whatever the minister says on television. "
            "The jobless rate has been climbing for months and everyone I know is looking for work.",
            0,
        ),
        # Found by its sentence: the nearest in meaning is the one that restates (and denies) it.
        (BURIED_CLAIM_POST.replace("Germany closed its", "Germany never closed its"), 4),
    ],
)
def test_a_long_post_denying_a_claim_is_never_its_duplicate(desk, post, earlier):
    """A passage has no one polarity; the sentence restating the claim has ("… did not fall …")."""
    assert matching.prepare(post).segments
    match = best(post)
    assert match.claim_id == desk[earlier].pk
    assert match.kind != MatchKind.DUPLICATE
    assert "negation" in match.conflicts


def test_a_long_post_restating_a_claim_as_said_keeps_no_polarity_conflict(desk):
    post = (
        "Unemployment fell to 3.5% in 2023, the lowest rate in fifty years, the statistics office says. "
        "I don't usually share these things but nobody on television is talking about it at all."
    )
    assert matching.prepare(post).segments
    match = best(post)
    assert match.claim_id == desk[0].pk
    assert "negation" not in match.conflicts


def test_the_claim_a_filter_leaves_out_does_not_stop_the_sentences(desk, embedded_texts):
    """Matching a claim against earlier ones: its own vector (or an excluded claim) is never "near enough"."""
    prepared = matching.prepare(NEAR_LONG_POST)
    matching.find_similar(NEAR_LONG_POST, min_score=0, exclude_claim_id=desk[0].pk)
    assert [text for batch in embedded_texts for text in batch] == list(prepared.all)
