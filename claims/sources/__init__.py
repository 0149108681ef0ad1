"""Cited sources: the archive's fetch state machine, the one safe fetcher, extraction and snapshots."""
