"""The dense index every matching process keeps: all claim vectors, searched by meaning.

The database stays the source of truth (``ClaimEmbedding`` rows); each process that matches
(the matcher worker, a web process answering ``/claims/similar/``) keeps a copy in memory and
catches up before each search: rows written since its last look are read by ``updated_at``
(with an overlap for transactions that committed late), and a periodic reconciliation of ids
and stamps drops deleted claims and picks up anything missed. Two processes on two machines
agree because both are built from the same rows. Each vector is held with the text key it was
embedded from, so a search's candidates are scored from memory unless their text changed since.

Search is exact (a matrix product over a contiguous float32 matrix) up to
``MATCH_INDEX_EXACT_MAX`` vectors; beyond that an HNSW graph (usearch) answers, with a
recall measured against exact search in ``bench/matching.py``. A copy of the index is saved
under ``VAR_DIR`` so that a restart loads it and catches up instead of reading every row again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

from claims.matching import embeddings
from claims.models import ClaimEmbedding

logger = logging.getLogger(__name__)

# Rows written this long before the last row seen are read again: a transaction that took its
# stamp earlier may commit later, and machines' clocks differ a little.
CATCH_UP_OVERLAP = timedelta(seconds=120)
OVERLAP_READ_SECONDS = 5.0  # how often the overlap is read again; every search reads what is newer
RECONCILE_SECONDS = 600.0
READ_BATCH = 20_000
SAVE_MIN_VECTORS = 10_000  # smaller indexes are read from the database at start-up as fast as from a file
SAVE_EVERY_SECONDS = 1_800.0
GRAPH_CONNECTIVITY = 16
GRAPH_EXPANSION_ADD = 128


def _stamp(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def _key(text_key: str) -> int:
    """A claim's text key in 64 bits: enough to tell whether a held vector was embedded from the current text."""
    return int.from_bytes(hashlib.blake2b(text_key.encode(), digest_size=8).digest(), "little", signed=True)


@dataclass(frozen=True)
class Hit:
    claim_id: int
    score: float


class _Exact:
    """Vectors in one contiguous float32 matrix; a search is one matrix product."""

    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.matrix = np.zeros((0, dims), dtype=np.float32)
        self.size = 0

    def reserve(self, capacity: int) -> None:
        if capacity > len(self.matrix):
            grown = np.zeros((max(capacity, int(len(self.matrix) * 1.5) + 1024), self.dims), dtype=np.float32)
            grown[: self.size] = self.matrix[: self.size]
            self.matrix = grown

    def put_many(self, positions: np.ndarray, vectors: np.ndarray) -> None:
        if len(positions):
            self.reserve(int(positions.max()) + 1)
            self.matrix[positions] = vectors
            self.size = max(self.size, int(positions.max()) + 1)

    def clear(self, position: int) -> None:
        self.matrix[position] = 0.0

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        return self.matrix[positions]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = queries @ self.matrix[: self.size].T
        k = min(k, self.size)
        if k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.int64), empty
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        rows = np.arange(len(queries))[:, None]
        order = np.argsort(-scores[rows, top], axis=1)
        positions = top[rows, order]
        return positions, scores[rows, positions]

    def scores_of(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return self.matrix[positions] @ query


class _Graph:
    """An HNSW graph (usearch, float16 vectors) keyed by position: logarithmic search for large desks."""

    def __init__(self, dims: int, expansion: int) -> None:
        from usearch.index import Index

        self.dims = dims
        self.graph = Index(
            ndim=dims, metric="ip", dtype="f16", connectivity=GRAPH_CONNECTIVITY,
            expansion_add=GRAPH_EXPANSION_ADD, expansion_search=expansion,
        )  # fmt: skip

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, positions: np.ndarray, expansion: int) -> _Graph:
        graph = cls(matrix.shape[1], expansion)
        if len(positions):
            graph.graph.add(positions.astype(np.uint64), matrix[positions], threads=0)
        return graph

    def put_many(self, positions: np.ndarray, vectors: np.ndarray) -> None:
        if not len(positions):
            return
        keys = positions.astype(np.uint64)
        replaced = keys[self.graph.contains(keys)]
        if len(replaced):
            self.graph.remove(replaced)
        self.graph.add(keys, vectors, threads=0)

    def clear(self, position: int) -> None:
        if self.graph.contains(position):
            self.graph.remove(position)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.graph) == 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.int64), empty
        found = self.graph.search(queries, k, threads=1)
        keys = np.atleast_2d(found.keys).astype(np.int64)
        scores = 1.0 - np.atleast_2d(found.distances).astype(np.float64)  # inner-product distance is 1 - dot
        counts = np.atleast_1d(getattr(found, "counts", keys.shape[1]))  # one query: a Matches, all found
        missing = np.arange(keys.shape[1])[None, :] >= counts[:, None]  # fewer than k in the graph
        keys[missing], scores[missing] = 0, -1.0
        return keys, scores

    def scores_of(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        vectors = np.asarray(self.graph.get(positions.astype(np.uint64)), dtype=np.float32)
        return vectors.reshape(len(positions), self.dims) @ query

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        vectors = self.graph.get(positions.astype(np.uint64))
        return np.asarray(vectors, dtype=np.float32).reshape(len(positions), self.dims)


class ClaimIndex:
    """Claim id → vector, in memory, kept in step with ``ClaimEmbedding`` rows of the current model."""

    def __init__(
        self,
        model: str = embeddings.MODEL_NAME,
        dims: int = embeddings.DIMENSIONS,
        *,
        exact_max: int | None = None,
        expansion: int | None = None,
        path: Path | None = None,
        save_min: int = SAVE_MIN_VECTORS,
    ) -> None:
        self.model = model
        self.dims = dims
        self.exact_max = settings.MATCH_INDEX_EXACT_MAX if exact_max is None else exact_max
        self.expansion = settings.MATCH_INDEX_EXPANSION if expansion is None else expansion
        self.path = path
        self.save_min = save_min
        self._lock = threading.RLock()
        self._reset()

    @property
    def kind(self) -> str:
        """``exact`` or ``hnsw``: how this index searches now."""
        return "hnsw" if isinstance(self._backend, _Graph) else "exact"

    def _reset(self) -> None:
        self._backend: _Exact | _Graph = _Exact(self.dims)
        self._ids = np.zeros(0, dtype=np.int64)  # position → claim id (0: a free slot)
        self._stamps = np.zeros(0, dtype=np.int64)  # position → updated_at of the row, in µs
        self._keys = np.zeros(0, dtype=np.int64)  # position → the text key the vector was embedded from
        self._position: dict[int, int] = {}
        self._free: list[int] = []
        self._seen_until: datetime | None = None  # the newest updated_at read
        self._overlap_read_at = float("-inf")
        self._reconciled_at = float("-inf")
        self._database = None
        self._saved_at = float("-inf")
        self._changed_since_save = 0

    # --- Keeping in step ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._position)

    def catch_up(self) -> int:
        """Read what changed since the last look; returns how many vectors were added or replaced.

        Every call reads the rows stamped after the newest one seen (an indexed lookup that
        usually finds nothing); every few seconds the last ``CATCH_UP_OVERLAP`` is read again,
        for transactions that committed after a later one; every ``RECONCILE_SECONDS`` every id
        and stamp is compared, which also drops deleted claims.
        """
        now = time.monotonic()
        with self._lock:
            if self._database != connection.settings_dict.get("NAME"):
                self._reset()  # another database (tests, benchmarks): start again
                self._database = connection.settings_dict.get("NAME")
                self.load()
            if now - self._reconciled_at > RECONCILE_SECONDS:
                changed = self.reconcile()
                self._changed_since_save += changed
                if self._changed_since_save and (self._saved_at < 0 or now - self._saved_at > SAVE_EVERY_SECONDS):
                    self.save()
                return changed
            if now - self._overlap_read_at > OVERLAP_READ_SECONDS:
                self._overlap_read_at = now
                since = self._seen_until - CATCH_UP_OVERLAP if self._seen_until is not None else None
                return self._read_since(since)  # None: nothing seen yet, so everything is new
            return self._read_since(self._seen_until, strictly_after=True)

    def reconcile(self) -> int:
        """Compare every id and stamp with the database: drop deleted claims, read what was missed."""
        with self._lock:
            stored: dict[int, int] = {}
            rows = ClaimEmbedding.objects.filter(model=self.model).values_list("claim_id", "updated_at")
            for claim_id, updated_at in rows.iterator(chunk_size=READ_BATCH):
                stored[claim_id] = _stamp(updated_at)
            for claim_id in list(self._position):
                if claim_id not in stored:
                    self._remove(claim_id)
            stale = [
                claim_id
                for claim_id, stamp in stored.items()
                if claim_id not in self._position or self._stamps[self._position[claim_id]] != stamp
            ]
            changed = 0
            for start in range(0, len(stale), READ_BATCH):
                changed += self._read_rows(
                    ClaimEmbedding.objects.filter(claim_id__in=stale[start : start + READ_BATCH])
                )
            self._reconciled_at = self._overlap_read_at = time.monotonic()
            return changed

    def _read_since(self, since: datetime | None, *, strictly_after: bool = False) -> int:
        rows = ClaimEmbedding.objects.all()
        if since is not None:
            rows = rows.filter(updated_at__gt=since) if strictly_after else rows.filter(updated_at__gte=since)
        # Stamps first: rows read again by the overlap and unchanged cost no vector transfer. A row of
        # another model (being replaced) leaves the index until it is embedded again.
        stamps = rows.values_list("claim_id", "updated_at", "model")
        # The read before each search usually finds nothing: one plain query (a server-side cursor costs
        # two more round trips). Wider reads, which can hold every row, stream.
        fresh = []
        for claim_id, updated_at, model in stamps if strictly_after else stamps.iterator(chunk_size=READ_BATCH):
            if model != self.model:
                self._remove(claim_id)
                continue
            position = self._position.get(claim_id)
            if position is None or self._stamps[position] != _stamp(updated_at):
                fresh.append(claim_id)
        changed = 0
        for start in range(0, len(fresh), READ_BATCH):
            changed += self._read_rows(ClaimEmbedding.objects.filter(claim_id__in=fresh[start : start + READ_BATCH]))
        return changed

    def _read_rows(self, rows) -> int:
        ids, vectors, stamps, keys = [], [], [], []
        for claim_id, model, vector, updated_at, text_key in rows.values_list(
            "claim_id", "model", "vector", "updated_at", "text_key"
        ):
            if model != self.model:
                self._remove(claim_id)
                continue
            ids.append(claim_id)
            vectors.append(embeddings.from_bytes(vector))
            stamps.append(_stamp(updated_at))
            keys.append(_key(text_key))
            if self._seen_until is None or updated_at > self._seen_until:
                self._seen_until = updated_at
        if ids:
            self._put_many(ids, np.vstack(vectors), stamps, keys)
        return len(ids)

    def _put_many(self, claim_ids: list[int], vectors: np.ndarray, stamps: list[int], keys: list[int]) -> None:
        positions = np.fromiter(
            (self._place(*row) for row in zip(claim_ids, stamps, keys, strict=True)),
            dtype=np.int64,
            count=len(claim_ids),
        )
        if isinstance(self._backend, _Exact) and len(self._position) > self.exact_max:
            # Past the exact search's size: build the graph from what is held, all cores at once.
            held = np.flatnonzero(self._ids[: self._backend.size])
            held = held[~np.isin(held, positions)]
            self._backend = _Graph.from_matrix(self._backend.matrix, held, self.expansion)
            logger.info("claim index: %d vectors, searching an HNSW graph from now on", len(self._position))
        self._backend.put_many(positions, vectors)

    def _place(self, claim_id: int, stamp: int, key: int) -> int:
        """The position of ``claim_id`` (a new one when unknown), with its stamp and text key recorded."""
        position = self._position.get(claim_id)
        if position is None:
            position = self._free.pop() if self._free else len(self._position) + len(self._free)
            if position >= len(self._ids):
                capacity = max(position + 1, int(len(self._ids) * 1.5) + 1024)
                self._ids = np.resize(self._ids, capacity)
                self._ids[position:] = 0
                self._stamps = np.resize(self._stamps, capacity)
                self._keys = np.resize(self._keys, capacity)
            self._position[claim_id] = position
        self._ids[position] = claim_id
        self._stamps[position] = stamp
        self._keys[position] = key
        return position

    def _remove(self, claim_id: int) -> None:
        position = self._position.pop(claim_id, None)
        if position is None:
            return
        self._ids[position] = 0
        self._stamps[position] = 0
        self._keys[position] = 0
        self._backend.clear(position)
        self._free.append(position)

    # --- Surviving a restart ------------------------------------------------------------------

    def _file(self) -> Path | None:
        if self.path is None or not self._database:
            return None
        name = "".join(ch if ch.isalnum() else "-" for ch in f"{self._database}-{self.model}")[-120:]
        return self.path / f"claim-index-{name}.npz"

    def save(self) -> bool:
        """Write the index to one file (atomically), so that a restart catches up instead of reading every row."""
        file = self._file()
        if file is None or len(self) < self.save_min:
            return False
        with self._lock:
            size = len(self._ids)
            meta = {
                "model": self.model, "dims": self.dims, "database": self._database, "kind": self.kind,
                "seen_until": self._seen_until.isoformat() if self._seen_until else None,
            }  # fmt: skip
            if isinstance(self._backend, _Graph):
                vectors = np.frombuffer(bytes(self._backend.graph.save()), dtype=np.uint8)
            else:
                vectors = self._backend.matrix[: self._backend.size].astype(np.float16)
            ids, stamps, keys = self._ids[:size].copy(), self._stamps[:size].copy(), self._keys[:size].copy()
            self._saved_at = time.monotonic()
            self._changed_since_save = 0
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.partial")
        with open(partial, "wb") as handle:
            np.savez(handle, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), ids=ids, stamps=stamps,
                     keys=keys, vectors=vectors)  # fmt: skip
        os.replace(partial, file)
        return True

    def load(self) -> bool:
        """Start from the saved file of this database and model, if there is one; the catch-up does the rest."""
        file = self._file()
        if file is None or not file.exists():
            return False
        try:
            with np.load(file) as saved:
                meta = json.loads(saved["meta"].tobytes())
                if (meta["model"], meta["dims"], meta["database"]) != (self.model, self.dims, self._database):
                    return False
                ids, stamps, keys, vectors = saved["ids"], saved["stamps"], saved["keys"], saved["vectors"]
        except (OSError, ValueError, KeyError) as error:
            logger.warning("claim index: %s unreadable (%s); reading the database instead", file, error)
            return False
        with self._lock:
            if meta["kind"] == "hnsw":
                graph = _Graph(self.dims, self.expansion)
                graph.graph.load(vectors.tobytes())
                self._backend = graph
            else:
                exact = _Exact(self.dims)
                exact.matrix = vectors.astype(np.float32)
                exact.size = len(vectors)
                self._backend = exact
            self._ids, self._stamps, self._keys = ids.astype(np.int64), stamps.astype(np.int64), keys.astype(np.int64)
            self._position = {int(claim_id): p for p, claim_id in enumerate(self._ids.tolist()) if claim_id}
            self._free = [p for p, claim_id in enumerate(self._ids.tolist()) if not claim_id]
            self._seen_until = datetime.fromisoformat(meta["seen_until"]) if meta["seen_until"] else None
        logger.info("claim index: %d vectors loaded from %s", len(self._position), file)
        return True

    # --- Searching ---------------------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int, *, fresh: bool = True) -> list[list[Hit]]:
        """The ``k`` nearest claims of each query vector (unit length), best first.

        ``fresh``: catch up first (``False`` when the caller's search a moment ago just did).
        """
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if fresh:
            self.catch_up()
        with self._lock:
            if not self._position:
                return [[] for _ in queries]
            # Free slots hold zero vectors; ask for a few more to make up for them.
            positions, scores = self._backend.search(queries, k + min(len(self._free), k))
            results = []
            for row_positions, row_scores in zip(positions, scores, strict=True):
                hits = [
                    Hit(int(self._ids[p]), float(s))
                    for p, s in zip(row_positions, row_scores, strict=True)
                    if self._ids[p] and s > -1.0
                ]
                results.append(hits[:k])
            return results

    def search_among(self, query: np.ndarray, claim_ids: list[int], k: int, *, fresh: bool = True) -> list[Hit]:
        """The ``k`` nearest of the given claims only (e.g. the published ones), exactly; ``fresh`` as for ``search``."""
        if fresh:
            self.catch_up()
        with self._lock:
            known = [(claim_id, self._position[claim_id]) for claim_id in claim_ids if claim_id in self._position]
            if not known:
                return []
            positions = np.fromiter((p for _, p in known), dtype=np.int64, count=len(known))
            scores = self._backend.scores_of(np.asarray(query, dtype=np.float32), positions)
            best = np.argsort(-scores)[:k]
            return [Hit(known[i][0], float(scores[i])) for i in best]

    def vector_of(self, claim_id: int) -> np.ndarray | None:
        with self._lock:
            position = self._position.get(claim_id)
            return None if position is None else self._backend.vectors(np.array([position]))[0]

    def vectors_of(self, texts: dict[int, str]) -> dict[int, np.ndarray]:
        """The held vectors of these claims (id → text key) that were embedded from that text; others are left out.

        Read from memory, as the search just caught up: the candidates of a search need no second database read.
        """
        with self._lock:
            held = [
                (claim_id, position)
                for claim_id, text_key in texts.items()
                if (position := self._position.get(claim_id)) is not None and self._keys[position] == _key(text_key)
            ]
            if not held:
                return {}
            positions = np.fromiter((p for _, p in held), dtype=np.int64, count=len(held))
            vectors = self._backend.vectors(positions)
        return {claim_id: vector for (claim_id, _), vector in zip(held, vectors, strict=True)}


_index: ClaimIndex | None = None
_index_lock = threading.Lock()


def claim_index() -> ClaimIndex:
    """This process's index, created on first use."""
    global _index
    with _index_lock:
        if _index is None:
            _index = ClaimIndex(path=settings.VAR_DIR / "matching")
        return _index


def claim_index_reset() -> None:
    """Forget this process's index (tests; a model change)."""
    global _index
    with _index_lock:
        _index = None
