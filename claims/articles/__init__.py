"""From an article to candidate claims: reading it, splitting sentences, scoring check-worthiness."""
