"""`AnswerTransport`: a zeep transport that keeps, per thread, the HTTP status and Retry-After of the last SOAP answer.

zeep's `TransportError` and `Fault` carry no headers; the transport sees the `requests.Response` before zeep
parses it (zeep's public `Transport.post`), so the client can turn a 429/503 into a `TransientError` with the
peer's `Retry-After`. The answer is stored thread-locally: threads sharing one client never see each other's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests
from zeep.transports import Transport

from hub.backoff import parse_retry_after


@dataclass(frozen=True)
class HttpAnswer:
    """The status of a SOAP answer and its Retry-After in seconds (None when absent or unreadable)."""

    status: int
    retry_after: float | None


class AnswerTransport(Transport):
    """A zeep `Transport` remembering the last POST answer of the calling thread (`take_answer`)."""

    def __init__(self, session: requests.Session, timeout: float, operation_timeout: float) -> None:
        super().__init__(session=session, timeout=timeout, operation_timeout=operation_timeout)
        self._local = threading.local()

    def post(self, address: str, message: str | bytes, headers: dict[str, str]) -> requests.Response:
        response: requests.Response = super().post(address, message, headers)
        self._local.answer = HttpAnswer(response.status_code,
                                        parse_retry_after(response.headers.get("Retry-After")))
        return response

    def take_answer(self) -> HttpAnswer | None:
        """The calling thread's last answer since the previous take (None if it got none), and forget it."""
        answer: HttpAnswer | None = getattr(self._local, "answer", None)
        self._local.answer = None
        return answer


__all__ = ["AnswerTransport", "HttpAnswer"]
