"""The error a sandbox handler raises to send a marketplace error body."""

from __future__ import annotations


class ApiError(Exception):
    """A failure sent as the error body of docs/PROTOCOL.md.

    ``status`` is the HTTP status; ``error_code`` defaults to ``TC-<status>``;
    ``transaction_ids`` name the lines the error is about.
    """

    def __init__(
        self,
        message: str,
        status: int = 400,
        *,
        transaction_ids=(),
        error_code: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.transaction_ids = [str(txn) for txn in transaction_ids]
        self.error_code = error_code or f"TC-{status}"
        self.headers = dict(headers or {})

    def body(self) -> dict:
        """Return the error payload (the root element ``error`` is added for XML)."""
        return {
            "status": "FAILURE",
            "errorCode": self.error_code,
            "errorMessage": self.message,
            "transactionIds": list(self.transaction_ids),
        }


def not_found(message: str, transaction_ids=()) -> ApiError:
    return ApiError(message, 404, transaction_ids=transaction_ids)


# The marketplace's own texts, kept here so every handler sends the same words.
STATUS_MAPPING_MISSING = (
    "Sorry for the inconvenience, Kindly Connect to Seller Portal team"
)
