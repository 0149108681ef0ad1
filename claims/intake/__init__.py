"""Claim intake: the one ``claim_submit`` for every channel, validation, bulk import, idempotency, API keys."""
