"""The one place that defines the default rating scale; admins edit it afterwards."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from reviews.models import Rating

# The default rating scale; admins edit it afterwards. Values run from 1 (false) to 5 (true);
# Misleading and Unproven have no place on that line. The database keeps the English words; readers
# see them translated (Rating.label_display, Rating.definition_display), so they are marked here.
DEFAULT_RATINGS = [
    (
        "true",
        gettext_noop("True"),
        5,
        "#1a7f37",
        gettext_noop("The claim is accurate and nothing significant is missing."),
    ),
    (
        "mostly-true",
        gettext_noop("Mostly true"),
        4,
        "#57a55a",
        gettext_noop("The claim is accurate but needs clarification or additional information."),
    ),
    (
        "half-true",
        gettext_noop("Half true"),
        3,
        "#c9a227",
        gettext_noop(
            "The claim is partially accurate but leaves out important details or takes things out of context."
        ),
    ),
    (
        "mostly-false",
        gettext_noop("Mostly false"),
        2,
        "#e07b24",
        gettext_noop(
            "The claim contains an element of truth but ignores critical facts that would give a different impression."
        ),
    ),
    ("false", gettext_noop("False"), 1, "#cf222e", gettext_noop("The claim is not accurate.")),
    (
        "misleading",
        gettext_noop("Misleading"),
        None,
        "#8250df",
        gettext_noop("The claim uses accurate facts in a way that leads to a false conclusion."),
    ),
    (
        "unproven",
        gettext_noop("Unproven"),
        None,
        "#6e7781",
        gettext_noop("The available evidence neither proves nor disproves the claim."),
    ),
]


def ratings_ensure() -> int:
    """Install the default scale when there is none (after migrate, and after a test flush)."""
    if Rating.objects.exists():
        return 0
    Rating.objects.bulk_create(
        Rating(slug=slug, label=label, value=value, colour=colour, definition=definition, position=position)
        for position, (slug, label, value, colour, definition) in enumerate(DEFAULT_RATINGS)
    )
    return len(DEFAULT_RATINGS)
