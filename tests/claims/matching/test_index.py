"""The dense index of every matching process: it follows the database, survives a restart, and agrees across processes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from claims.matching import embeddings
from claims.matching import services as matching
from claims.matching.index import ClaimIndex
from claims.models import Claim, ClaimEmbedding
from tests.conftest import ROOT, subprocess_env
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "Unemployment fell to 3.5% in 2023, the lowest rate in fifty years.",
    "The COVID-19 vaccine contains microchips that track people.",
    "Germany closed its last three nuclear power plants in April 2023.",
    "Sea levels have risen by 20 centimetres since 1900.",
    "Drinking hot water with lemon cures cancer.",
    "The Eiffel Tower will be dismantled and moved to Las Vegas.",
]


@pytest.fixture
def desk() -> list[Claim]:
    claims = [ClaimFactory(text=text) for text in TEXTS]
    matching.claims_index([claim.pk for claim in claims])
    return claims


def nearest(index: ClaimIndex, text: str, k: int = 1) -> list[int]:
    return [hit.claim_id for hit in index.search(embeddings.embed([text]), k)[0]]


@pytest.mark.parametrize("exact_max", [1_000, 2], ids=["exact", "hnsw"])
def test_follows_inserts_edits_and_deletes(desk, exact_max):
    index = ClaimIndex(exact_max=exact_max)
    assert nearest(index, "Lemon water heals cancer") == [desk[4].pk]
    assert index.kind == ("exact" if exact_max > len(desk) else "hnsw")
    assert len(index) == len(desk)

    added = ClaimFactory(text="Bill Gates owns most of the farmland in the United States.")
    matching.claims_index([added.pk])
    assert nearest(index, "Gates is the biggest owner of US farmland") == [added.pk]

    Claim.objects.filter(pk=desk[3].pk).update(text="Bees are disappearing from half of European farms.", text_key="b")
    matching.claims_index([desk[3].pk])
    assert nearest(index, "Half the farms in Europe are losing their bees") == [desk[3].pk]
    new, old = embeddings.embed(["Bees are disappearing from half of European farms.", TEXTS[3]])
    assert index.vector_of(desk[3].pk) @ new > 0.99 > index.vector_of(desk[3].pk) @ old

    desk[1].delete()
    index.reconcile()  # deletes leave no row to read: the reconciliation drops them
    assert desk[1].pk not in nearest(index, "Vaccines put microchips in people", k=len(desk))
    assert len(index) == len(desk)  # one added, one deleted


def test_a_search_catches_up_unless_told_the_previous_one_just_did(desk):
    index = ClaimIndex()
    query = embeddings.embed(["Bill Gates is the biggest owner of farmland in America"])
    assert len(index.search(query, 10)[0]) == len(desk)
    added = ClaimFactory(text="Bill Gates owns most of the farmland in the United States.")
    matching.claims_index([added.pk])

    assert added.pk not in [hit.claim_id for hit in index.search(query, 10, fresh=False)[0]]
    assert added.pk not in [hit.claim_id for hit in index.search_among(query[0], [added.pk], 10, fresh=False)]
    assert [hit.claim_id for hit in index.search_among(query[0], [added.pk, desk[0].pk], 1)] == [added.pk]
    assert index.search(query, 1)[0][0].claim_id == added.pk


def test_rows_of_another_model_leave_the_index_until_embedded_again(desk):
    index = ClaimIndex()
    assert len(index.search(embeddings.embed(["x"]), 10)[0]) == len(desk)
    ClaimEmbedding.objects.filter(claim=desk[0]).update(model="an-older-model")
    index.reconcile()
    assert desk[0].pk not in [hit.claim_id for hit in index.search(embeddings.embed([TEXTS[0]]), 10)[0]]
    assert not ClaimEmbedding.objects.filter(claim=desk[0], model=embeddings.MODEL_NAME).exists()
    matching.claims_index([desk[0].pk])
    assert nearest(index, TEXTS[0]) == [desk[0].pk]


def test_graph_and_exact_search_agree(desk):
    exact, graph = ClaimIndex(exact_max=1_000), ClaimIndex(exact_max=2)
    for text in ["Nuclear plants shut in Germany", "Vegas gets the Eiffel Tower", "Jobless rate at 50-year low"]:
        assert nearest(exact, text, k=3) == nearest(graph, text, k=3)
    assert graph.kind == "hnsw" and exact.kind == "exact"


@pytest.mark.parametrize("exact_max", [1_000, 2], ids=["exact", "hnsw"])
def test_a_restart_loads_the_saved_index_and_catches_up(desk, tmp_path, exact_max):
    first = ClaimIndex(exact_max=exact_max, path=tmp_path, save_min=0)
    first.catch_up()
    assert first.save()
    later = ClaimFactory(text="A shark was photographed swimming on a flooded highway in Houston.")
    matching.claims_index([later.pk])

    restarted = ClaimIndex(exact_max=exact_max, path=tmp_path, save_min=0)
    restarted._database = first._database
    assert restarted.load()
    assert len(restarted) == len(desk)  # what was saved, before any catch-up
    assert restarted.kind == first.kind
    restarted._reconciled_at = float("inf")  # only the catch-up from the saved stamp, no full comparison
    restarted._database = None  # as a new process: the catch-up loads the file, then reads what is newer
    assert nearest(restarted, "Shark swims on Houston freeway after flood") == [later.pk]
    assert len(restarted) == len(desk) + 1


@pytest.mark.parametrize("exact_max", [1_000, 2], ids=["exact", "hnsw"])
def test_held_vectors_are_handed_out_only_for_the_text_they_were_embedded_from(desk, tmp_path, exact_max):
    index = ClaimIndex(exact_max=exact_max, path=tmp_path, save_min=0)
    index.catch_up()
    keys = dict(Claim.objects.filter(pk__in=[c.pk for c in desk]).values_list("pk", "text_key"))
    held = index.vectors_of(keys)
    assert set(held) == set(keys)
    assert held[desk[4].pk] @ embeddings.embed([TEXTS[4]])[0] > 0.99

    bees = "Bees are disappearing from half of European farms."
    Claim.objects.filter(pk=desk[0].pk).update(text=bees, text_key="b")
    index.catch_up()  # the claim changed, its vector did not (not indexed again yet)
    assert desk[0].pk not in index.vectors_of({desk[0].pk: "b"})
    assert index.vectors_of({desk[0].pk: keys[desk[0].pk], 10**9: "unknown"}).keys() == {desk[0].pk}

    matching.claims_index([desk[0].pk])
    index.catch_up()
    assert index.vectors_of({desk[0].pk: "b"})[desk[0].pk] @ embeddings.embed([bees])[0] > 0.99

    index.save()
    restarted = ClaimIndex(exact_max=exact_max, path=tmp_path, save_min=0)
    restarted._database = index._database
    assert restarted.load()
    assert restarted.vectors_of({desk[0].pk: "b", desk[1].pk: keys[desk[1].pk]}).keys() == {desk[0].pk, desk[1].pk}


def test_an_unreadable_saved_file_is_ignored(desk, tmp_path):
    index = ClaimIndex(path=tmp_path, save_min=0)
    index.catch_up()
    index.save()
    for file in tmp_path.glob("*.npz"):
        file.write_bytes(b"not an index")
    again = ClaimIndex(path=tmp_path, save_min=0)
    assert nearest(again, "Lemon water heals cancer") == [desk[4].pk]


@pytest.mark.integration
def test_two_processes_agree(transactional_db):
    """Another process builds its own index from the same rows and finds the same claims."""
    claims = [ClaimFactory(text=text) for text in TEXTS]
    matching.claims_index([claim.pk for claim in claims])
    script = (
        "import django, json; django.setup();"
        "from claims.matching.services import find_similar;"
        "print(json.dumps([m.claim_id for m in find_similar('Lemon water heals cancer', min_score=0, limit=3)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    theirs = [int(x) for x in out.stdout.strip().splitlines()[-1].strip("[]").split(",")]
    ours = [m.claim_id for m in matching.find_similar("Lemon water heals cancer", min_score=0, limit=3)]
    assert theirs == ours
    assert np.isin(theirs, [c.pk for c in claims]).any()


@pytest.mark.django_db
def test_an_index_of_an_empty_desk_answers_and_then_follows_the_first_claim():
    index = ClaimIndex()
    index.catch_up()  # loads nothing: no claim has a vector yet
    index._overlap_read_at = float("-inf")  # the overlap is due, with nothing seen so far
    assert index.search(embeddings.embed(["anything"]), 5) is not None
    claim = ClaimFactory(text="The river flooded the town twice last spring.")
    matching.claims_index([claim.pk])
    assert nearest(index, "the town was flooded by the river") == [claim.pk]
