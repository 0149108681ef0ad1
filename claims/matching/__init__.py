"""'Has this been checked already?': embeddings, candidate search, comparison rules and match links."""
