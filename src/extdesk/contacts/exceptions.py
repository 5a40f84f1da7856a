"""Errors of the contacts domain."""


class InvalidRecord(ValueError):
    """A pushed contact record breaks a rule; names where and why."""

    def __init__(self, position: int, platform_id: object, field: str, problem: str) -> None:
        self.position = position
        self.platform_id = platform_id
        self.field = field
        self.problem = problem
        ident = "" if platform_id in (None, "") else f" (id {platform_id})"
        super().__init__(f"record {position}{ident}: field '{field}': {problem}")
