"""Fill a fresh install with demo people, claims, sources and verdicts, to try the desk out."""

from __future__ import annotations

import gzip
import hashlib
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from claims.articles.services import article_process, article_submit
from claims.choices import Channel, FetchStatus
from claims.intake.services import claim_submit
from claims.matching.services import claims_match
from claims.models import Claim, Snapshot, Source
from claims.normalize import claim_text_key
from reviews import workflow
from reviews.people import user_add

PEOPLE = [
    ("admin", "admin", ["en"]),
    ("editor-amira", "editor", ["en", "fr"]),
    ("editor-bruno", "editor", ["en", "es"]),
    ("checker-emma", "factchecker", ["en"]),
    ("checker-francois", "factchecker", ["fr"]),
    ("checker-sofia", "factchecker", ["es"]),
]

# (text, claimant, language, tags, priority, source slugs)
CLAIMS = [
    ("The city spent 40 million on the new bridge, twice the budget.", "Mayor Jane Doe", "en", ["budget", "transport"], "high", ["bridge-budget", "council-minutes"]),
    ("Unemployment fell to its lowest level in fifty years last quarter.", "Finance Minister", "en", ["economy"], "urgent", ["jobs-report"]),
    ("Drinking eight glasses of water a day is required by law in schools.", "Viral post", "en", ["health"], "normal", ["school-water"]),
    ("Le prix du pain a doublé depuis 2020.", "Député Martin", "fr", ["économie"], "high", ["prix-pain"]),
    ("La moitié des trains régionaux ont été supprimés cet hiver.", "Syndicat des cheminots", "fr", ["transport"], "normal", ["trains-hiver"]),
    ("El 90 % de la electricidad del país ya es renovable.", "Ministra de Energía", "es", ["energía"], "high", ["renovables"]),
    ("La ciudad plantó un millón de árboles en 2023.", "Alcaldía", "es", ["medio ambiente"], "low", ["arboles"]),
    ("Crime doubled in the capital after the new policing law.", "Opposition leader", "en", ["crime"], "normal", ["crime-stats"]),
    ("Vaccination rates among children are the highest ever recorded.", "Health Agency", "en", ["health"], "normal", []),
    ("The national debt is smaller today than ten years ago.", "Prime Minister", "en", ["economy", "budget"], "urgent", ["debt"]),
    ("Les loyers ont baissé de 10 % à Paris l'an dernier.", "Agence immobilière", "fr", ["logement"], "low", ["loyers"]),
    ("Más de la mitad de los jóvenes no vota.", "Columnista", "es", ["elecciones"], "normal", []),
    ("Electric cars produce more CO2 over their life than petrol cars.", "Car blog", "en", ["energy"], "high", ["ev-lifecycle"]),
    ("The river is now clean enough to swim in every summer.", "Water Authority", "en", ["environment"], "low", ["river-tests"]),
    ("Die Hälfte aller Brücken im Land ist marode.", "Verkehrsverband", "de", ["transport"], "normal", ["bruecken"]),
]  # fmt: skip

RESTATED = "Joblessness last quarter was the lowest it has been in 50 years, says the finance minister."
ARTICLE_URL = "https://news.example.org/2024/03/council-budget-debate"
ARTICLE_TEXT = """Council clashes over bridge costs as jobless figures fall

By Sam Reporter, City Desk

The city spent 40 million on the new bridge, twice its original budget, Mayor Jane Doe said on Tuesday.

"We delivered a bridge that will last a century," the mayor told reporters. Critics were not convinced.

Opposition leader Tom Ryan said the overrun cost every household 150 euros. He called the project a disgrace.

The national statistics office reported that unemployment fell to 4.1 percent last quarter, the lowest level since 1974.

Will the council learn its lesson? Only time will tell.

Share this article. Subscribe to our newsletter for more local news."""

# Sources that get a synthetic stored copy, so the workspace shows text and a snapshot without internet.
FETCHED = {
    "bridge-budget": (
        "Bridge project costs double",
        "The council's final accounts show the bridge cost 39.6 million, against an approved budget of 20 million. "
        "Overruns came from steel prices and a redesign of the foundations.",
    ),
    "jobs-report": (
        "Quarterly labour market report",
        "The unemployment rate was 4.1 percent in the last quarter. The lowest rate since records began in 1971 "
        "was 3.8 percent, reached in 1974.",
    ),
    "prix-pain": (
        "Le prix de la baguette",
        "Le prix moyen de la baguette est passé de 0,89 euro en 2020 à 1,05 euro cette année, soit une hausse de 18 %.",
    ),
    "renovables": (
        "Informe del operador de la red",
        "Las renovables generaron el 50,3 % de la electricidad del país el año pasado, un récord histórico.",
    ),
}


def source_url(slug: str) -> str:
    return f"https://example.org/demo/{slug}"


def snapshot_store(source: Source, title: str, text: str) -> Snapshot:
    """A synthetic stored copy of a demo source (demo data only: real copies come from the fetcher)."""
    body = (
        f"<!DOCTYPE html><html><head><title>{escape(title)}</title></head>"
        f"<body><article><h1>{escape(title)}</h1><p>{escape(text)}</p></article></body></html>"
    ).encode()
    sha = hashlib.sha256(body).hexdigest()
    now = timezone.now()
    snapshot = Snapshot.objects.create(
        source=source,
        fetched_at=now,
        http_status=200,
        final_url=source.canonical_url,
        content_type="text/html",
        charset="utf-8",
        headers={"content-type": "text/html; charset=utf-8"},
        raw_gzip=gzip.compress(body),
        raw_size=len(body),
        sha256=sha,
        title=title,
        text=text,
    )
    Source.objects.filter(pk=source.pk).update(
        fetch_status=FetchStatus.FETCHED,
        http_status=200,
        final_url=source.canonical_url,
        content_type="text/html",
        title=title,
        text=text,
        sha256=sha,
        fetched_at=now,
        last_checked_at=now,
        error="",
        attempts=1,
    )
    return snapshot


class Command(BaseCommand):
    help = "Load demo people, claims, sources and verdicts into an empty desk (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Password for every demo user (default: a random one each, printed).")

    def handle(self, *args, password: str | None = None, **options):
        if Claim.objects.filter(text_key=claim_text_key(CLAIMS[0][0])).exists():
            self.stdout.write("Demo data is already loaded; nothing changed.")
            return
        with transaction.atomic():
            users, passwords = self._people(password)
            claims = self._claims(users["admin"])
            self._workflow(users, claims)
            restated = self._restated(users["admin"])
        # Matching and article reading are a worker's job; the demo does them now so they show at once.
        claims_match([claim.pk for claim in claims] + [restated.pk])
        article = article_submit({"text": ARTICLE_TEXT, "url": ARTICLE_URL}, user=users["admin"])
        article_process(article.pk)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {len(claims) + 1} demo claims and an article. Log in at /login/ as:")
        )
        for username, role, languages in PEOPLE:
            secret = passwords.get(username, "(existing user: password unchanged)")
            self.stdout.write(f"  {username:<18} {role:<12} {','.join(languages):<6} {secret}")

    def _restated(self, admin) -> Claim:
        """A new claim saying, in other words, what a published verdict already rated: the queue flags it."""
        return claim_submit(
            {"text": RESTATED, "claimant": "Finance Minister", "language": "en", "tags": ["economy"]},
            channel=Channel.API,
            user=admin,
        ).claim

    def _people(self, password: str | None):
        users, passwords = {}, {}
        existing = set(
            get_user_model().objects.filter(username__in=[p[0] for p in PEOPLE]).values_list("username", flat=True)
        )
        for username, role, languages in PEOPLE:
            if username in existing:  # never change someone's password or role behind their back
                users[username] = get_user_model().objects.get(username=username)
                continue
            passwords[username] = password or secrets.token_urlsafe(12)
            users[username] = user_add(username, role, languages, passwords[username])
        return users, passwords

    def _claims(self, admin) -> list[Claim]:
        claims = []
        for index, (text, claimant, language, tags, priority, slugs) in enumerate(CLAIMS):
            result = claim_submit(
                {
                    "text": text,
                    "claimant": claimant,
                    "claim_date": date(2024, 1 + index % 12, 1 + index).isoformat(),
                    "language": language,
                    "tags": tags,
                    "priority": priority,
                    "sources": [source_url(slug) for slug in slugs],
                },
                channel=Channel.ADMIN if index % 3 else Channel.API,
                user=admin,
            )
            claims.append(result.claim)
        for slug, (title, text) in FETCHED.items():
            source = Source.objects.get(url=source_url(slug))
            snapshot_store(source, title, text)
        return claims

    def _workflow(self, users, claims) -> None:
        emma, francois, sofia = users["checker-emma"], users["checker-francois"], users["checker-sofia"]
        amira, bruno = users["editor-amira"], users["editor-bruno"]
        # Two claims waiting in the checkers' lists.
        workflow.claim_assign(amira, claims[3].pk, francois)
        workflow.claim_assign(bruno, claims[11].pk, sofia)
        # One submitted, waiting for an editor.
        workflow.claim_assign(amira, claims[0].pk, emma)
        workflow.verdict_save_draft(
            emma,
            claims[0].pk,
            {
                "rating": "mostly-true",
                "summary": "The bridge cost 39.6 million against a 20 million budget: about twice, as claimed.",
                "analysis": "The council's **final accounts** show the overrun.\n\n- Budget: 20 million\n- Cost: 39.6 million",
                "evidence": [source_url("bridge-budget")],
            },
        )
        workflow.review_submit(emma, claims[0].pk, "Ready for review.")
        # A published verdict in Spanish.
        workflow.claim_assign(bruno, claims[5].pk, sofia)
        workflow.verdict_save_draft(
            sofia,
            claims[5].pk,
            {
                "rating": "false",
                "summary": "Las renovables generaron el 50 % de la electricidad, no el 90 %.",
                "analysis": "Según el **operador de la red**, la cifra fue del 50,3 % el año pasado.",
                "evidence": [source_url("renovables")],
            },
        )
        workflow.review_submit(sofia, claims[5].pk)
        workflow.review_approve(bruno, claims[5].pk)
        # A published verdict that was sent back once, then corrected after publication.
        workflow.claim_assign(amira, claims[1].pk, emma)
        workflow.verdict_save_draft(
            emma,
            claims[1].pk,
            {
                "rating": "false",
                "summary": "Unemployment was 4.1 percent; it was lower in 1974.",
                "analysis": "The labour market report gives 4.1 percent.",
                "evidence": [source_url("jobs-report")],
            },
        )
        workflow.review_submit(emma, claims[1].pk)
        workflow.review_send_back(amira, claims[1].pk, "Please give the record low and its year.")
        workflow.verdict_save_draft(
            emma,
            claims[1].pk,
            {"analysis": "The report gives **4.1 percent**; the record low was **3.8 percent in 1974**."},
        )
        workflow.review_submit(emma, claims[1].pk, "Added the record low.")
        workflow.review_approve(amira, claims[1].pk)
        workflow.verdict_correct(
            bruno,
            claims[1].pk,
            {"rating": "mostly-false"},
            "Rating changed to Mostly false: the rate is near its record low, as the agency noted.",
        )
        workflow.correction_approve(amira, claims[1].pk)  # a new rating needs a second editor
        # One dismissed.
        workflow.claim_dismiss(amira, claims[8].pk, "Not a checkable claim: no figure given.")
