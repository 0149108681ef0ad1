"""Tests with real worker, beat, web and broker processes (marker ``integration``)."""
