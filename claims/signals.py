"""What the claims app announces to others (it never imports them): sent after commit."""

from django.dispatch import Signal

# Sent once per newly stored claim, after its transaction commits. Arguments: claim_id.
claim_created = Signal()
