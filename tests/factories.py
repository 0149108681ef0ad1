"""factory_boy factories for the claims app."""

import datetime

import factory
from django.contrib.auth import get_user_model

from claims.models import Citation, Claim, Source
from claims.normalize import canonicalize_url, claim_text_key, url_key


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    is_staff = True


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Claim number {n}: the city spent {n} million on roads last year.")
    text_key = factory.LazyAttribute(lambda c: claim_text_key(c.text))
    claimant = factory.Faker("name")
    language = "en"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    url = factory.Sequence(lambda n: f"https://news.example.org/story/{n}")
    canonical_url = factory.LazyAttribute(lambda s: canonicalize_url(s.url))
    canonical_hash = factory.LazyAttribute(lambda s: url_key(s.canonical_url))


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)


class ArticleFactory(factory.django.DjangoModelFactory):
    """A read article (status ready); add candidates with ArticleCandidateFactory."""

    class Meta:
        model = "claims.Article"

    url = factory.Sequence(lambda n: f"https://herald.example/news/{n}")
    final_url = factory.LazyAttribute(lambda a: a.url)
    title = "Port traffic fell by a fifth last year"
    author = "Priya Raman"
    outlet = "The Harbour Herald"
    published_date = datetime.date(2024, 5, 2)
    language = "en"
    status = "ready"


class ArticleCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "claims.ArticleCandidate"

    article = factory.SubFactory(ArticleFactory)
    position = factory.Sequence(lambda n: n)
    paragraph = 0
    sentence = factory.Sequence(lambda n: f"Container traffic fell by {n + 10} percent in 2023.")
    score = 0.8
    reasons = factory.LazyFunction(lambda: [{"code": "quantity", "weight": 1.2, "detail": "percent"}])
    links = factory.LazyFunction(list)
