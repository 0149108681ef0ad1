"""The one place that defines the default rating scale; admins edit it afterwards."""

from __future__ import annotations

from reviews.models import Rating

# The default rating scale; admins edit it afterwards. Values run from 1 (false) to 5 (true);
# Misleading and Unproven have no place on that line.
DEFAULT_RATINGS = [
    ("true", "True", 5, "#1a7f37", "The claim is accurate and nothing significant is missing."),
    (
        "mostly-true",
        "Mostly true",
        4,
        "#57a55a",
        "The claim is accurate but needs clarification or additional information.",
    ),
    (
        "half-true",
        "Half true",
        3,
        "#c9a227",
        "The claim is partially accurate but leaves out important details or takes things out of context.",
    ),
    (
        "mostly-false",
        "Mostly false",
        2,
        "#e07b24",
        "The claim contains an element of truth but ignores critical facts that would give a different impression.",
    ),
    ("false", "False", 1, "#cf222e", "The claim is not accurate."),
    (
        "misleading",
        "Misleading",
        None,
        "#8250df",
        "The claim uses accurate facts in a way that leads to a false conclusion.",
    ),
    ("unproven", "Unproven", None, "#6e7781", "The available evidence neither proves nor disproves the claim."),
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
