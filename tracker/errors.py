"""Errors the services raise. The API turns them into problem details; nothing else needs HTTP."""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["Conflict", "PermissionDenied", "ValidationError", "field_error"]


class Conflict(Exception):
    """The request contradicts what is stored (an id reused with other content, a voided record)."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})
