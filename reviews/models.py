"""Review workflow models (assignment, verdicts, publishing) arrive with the review desk."""
