"""The review desk's domain errors; the API maps them to 409, 403 and 400, the pages to messages."""


class WorkflowError(Exception):
    """The claim's current state does not allow this action (API: 409)."""


class NotAllowed(Exception):
    """This person may not do this (API: 403)."""


class InvalidReview(Exception):
    """Bad verdict content; ``fields`` names what is wrong (API: 400)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("The verdict is not valid.")
        self.fields = fields
