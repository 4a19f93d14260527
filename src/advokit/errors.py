"""The one error hierarchy of advokit.

::

    AdvokitError                      root: everything advokit raises on purpose
    ├── InputError(ValueError)        the caller gave something invalid (exit code 2 / HTTP 422)
    │   ├── UnknownKpiError           a KPI id that is not in the catalogue
    │   ├── UnknownDimensionError     a --by dimension that is not a customer attribute
    │   └── InvalidArgumentError      a bad date, period, option value
    │       └── PeriodOutsideDataError  a period outside the span the workspace's data covers
    ├── DataError(ValueError)         a file or batch cannot be read at all (exit code 1 / HTTP 422)
    │   └── RejectedRowsError         --strict import with rejected rows; nothing landed
    ├── CatalogueError                a KPI definition file is invalid (developer error)
    ├── NotFoundError                 a thing addressed by id does not exist (HTTP 404)
    ├── NotComputedError              a read of something not computed yet (HTTP 409)
    │   └── ThemesNotComputedError    themes were never computed (run `advokit text theme refresh`)
    ├── AuthError                     missing or invalid credentials (HTTP 401)
    │   └── ForbiddenError            valid credentials, insufficient scope (HTTP 403)
    ├── RateLimitError                too many requests (HTTP 429)
    ├── PayloadTooLargeError          a request body or batch over the limit (HTTP 413)
    ├── RequestTimeoutError           a request body stalled (HTTP 408)
    ├── HostNotAllowedError           a request names a host the server does not answer to (HTTP 421)
    └── WorkspaceError                the workspace file cannot be opened or migrated

Every error carries a one-line ``message`` and an optional ``hint`` telling the
user what to do next; shells render both and never show a traceback. Each class
also says how a shell reports it: ``exit_code`` for the CLI, ``http_status`` for
the REST API and the dashboard (plain numbers: this module imports nothing).
"""

from __future__ import annotations

from typing import Any


class AdvokitError(Exception):
    """Root of every error advokit raises on purpose."""

    code = "error"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.details is not None:
            out["details"] = self.details
        return out


class InputError(AdvokitError, ValueError):
    code = "invalid_input"
    http_status = 422
    exit_code = 2


class UnknownKpiError(InputError):
    code = "unknown_kpi"


class UnknownDimensionError(InputError):
    code = "unknown_dimension"


class InvalidArgumentError(InputError):
    code = "invalid_argument"


class PeriodOutsideDataError(InvalidArgumentError):
    code = "period_outside_data"


class DataError(AdvokitError, ValueError):
    code = "unreadable_data"
    http_status = 422
    exit_code = 1


class RejectedRowsError(DataError):
    code = "rows_rejected"


class CatalogueError(AdvokitError):
    code = "catalogue_invalid"


class NotFoundError(AdvokitError):
    code = "not_found"
    http_status = 404


class NotComputedError(AdvokitError):
    """A read of a result that was never computed; reads do not compute it (the hint names what does)."""
    code = "not_computed"
    http_status = 409


class ThemesNotComputedError(NotComputedError):
    code = "themes_not_computed"


class AuthError(AdvokitError):
    code = "unauthorized"
    http_status = 401


class ForbiddenError(AuthError):
    code = "forbidden"
    http_status = 403


class RateLimitError(AdvokitError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class PayloadTooLargeError(AdvokitError):
    code = "payload_too_large"
    http_status = 413


class RequestTimeoutError(AdvokitError):
    code = "request_timeout"
    http_status = 408


class HostNotAllowedError(AdvokitError):
    code = "host_not_allowed"
    http_status = 421


class WorkspaceError(AdvokitError):
    code = "workspace_error"
    http_status = 503
