"""`GraphClient`: the synchronous Microsoft Graph client the calendar flow uses (httpx, documented REST shapes)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

import httpx
from pydantic import ValidationError

from connectors.foundation.lifecycle import HttpLifecycle
from connectors.foundation.oauth2 import failed_call
from connectors.foundation.peer_calls import counted, note_answer
from connectors.foundation.retry import RetryPolicy, Sleep, retrying
from connectors.outlook import calls
from connectors.outlook.auth import Credentials, graph_auth
from connectors.outlook.calls import CalendarOp, CreateEvent, DeleteEvent, GraphCall
from connectors.outlook.errors import (
    CONNECTOR,
    TRANSIENT_STATUSES,
    NotFoundError,
    error_for_exception,
    error_for_response,
    error_for_status,
    invalid_response,
)
from connectors.outlook.settings import OutlookSettings
from hub.backoff import backoff_seconds, parse_retry_after
from hub.errors import DeliveryError, TransientError
from hub.logging import outbound_headers
from hub.ports.calendar_types import BatchResponseItem, Event, OpResult, ScheduleInformation

#: Graph's retry defaults; `max_retries` comes from settings.
RETRY = RetryPolicy(max_retries=4, backoff_base_seconds=0.5, backoff_cap_seconds=30.0, max_inline_retry_after=60.0)
#: A Retry-After longer than this is not waited for in-process; the TransientError goes to the caller.
MAX_INLINE_RETRY_AFTER = RETRY.max_inline_retry_after


class GraphClient(HttpLifecycle):
    """Typed, retrying Graph client: events CRUD, calendar view, getSchedule and `$batch`.

    429/503 are retried honouring Retry-After (also per request inside a `$batch`); what is left is raised
    (or returned per operation) as `hub.errors.TransientError` or `PermanentError`.
    """

    def __init__(self, base_url: str, credentials: Credentials, *, timeout: float = 15.0, max_retries: int = 4,
                 http: httpx.Client | None = None, sleep: Sleep = time.sleep,
                 max_inline_retry_after: float = MAX_INLINE_RETRY_AFTER) -> None:
        super().__init__("outlook", http, timeout=httpx.Timeout(timeout))
        self._base_url = base_url.rstrip("/")
        self._auth = graph_auth(credentials)
        self._sleep = sleep
        self._policy = RETRY.model_copy(update={"max_retries": max_retries,
                                                "max_inline_retry_after": max_inline_retry_after})
        self._retrying = retrying(self._policy, sleep)

    @classmethod
    def from_settings(cls, settings: OutlookSettings, **kwargs: Any) -> Self:
        kwargs.setdefault("timeout", settings.timeout_seconds)
        kwargs.setdefault("max_retries", settings.max_retries)
        credentials = Credentials(settings.resolved_token_url(), settings.client_id, settings.client_secret,
                                  settings.scope)
        return cls(settings.graph_base_url, credentials, **kwargs)

    # -- plumbing -------------------------------------------------------------------------------

    def _attempt(self, call: GraphCall) -> httpx.Response:
        headers = {"Accept": "application/json", **call.headers}
        outbound_headers(headers)
        with counted(CONNECTOR):
            try:
                response = self._http.request(call.method, self._base_url + call.path, params=call.params or None,
                                              json=call.json, headers=headers, auth=self._auth)
            except httpx.HTTPError as exc:
                raise error_for_exception(failed_call(exc, call.name), exc) from exc
            note_answer(CONNECTOR, response.headers)
            if not response.is_success:
                raise error_for_response(call.name, response)
            return response

    def send(self, call: GraphCall) -> httpx.Response:
        """Send one call with retries; the 2xx response or the final DeliveryError."""
        return self._retrying.copy()(self._attempt, call)

    @staticmethod
    def _json(call: GraphCall, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise invalid_response(call.name, "not JSON") from exc

    # -- events ---------------------------------------------------------------------------------

    def create_event(self, mailbox: str, draft: Any) -> Event:
        """Create (needs `draft.transaction_id`: Graph answers a repeated create with the same event)."""
        result = self.execute([CreateEvent(mailbox, draft)])[0]
        if result.error is not None:
            raise result.error
        assert result.event is not None
        return result.event

    def delete_event(self, mailbox: str, event_id: str) -> bool:
        """Delete; False when it was already gone (404)."""
        result = self.execute([DeleteEvent(mailbox, event_id)])[0]
        if result.error is not None:
            raise result.error
        return not result.gone

    def get_event(self, mailbox: str, event_id: str) -> Event | None:
        call = GraphCall("get_event", "GET", calls.event_path(mailbox, event_id))
        try:
            return _event(call, self._json(call, self.send(call)))
        except NotFoundError:
            return None

    def execute(self, ops: Sequence[CalendarOp]) -> list[OpResult]:
        """Run calendar operations: one directly, several in `$batch` requests of 20; a result per op."""
        if not ops:
            return []
        if len(ops) == 1:
            op = ops[0]
            call = calls.call_for(op)
            try:
                response = self.send(call)
            except DeliveryError as exc:
                return [_op_result(op, call, None, exc)]
            body = self._json(call, response) if response.content else None
            return [_op_result(op, call, BatchResponseItem(id="1", status=response.status_code, body=body), None)]
        requests = [calls.call_for(op) for op in ops]
        answers = self.batch(requests)
        return [_op_result(op, call, a if isinstance(a, BatchResponseItem) else None,
                           a if isinstance(a, DeliveryError) else None)
                for op, call, a in zip(ops, requests, answers, strict=True)]

    # -- busy time ------------------------------------------------------------------------------

    def calendar_view(self, mailbox: str, start: datetime, end: datetime) -> list[Event]:
        result = self.calendar_views([mailbox], start, end)[mailbox]
        if isinstance(result, DeliveryError):
            raise result
        return result

    def calendar_views(self, mailboxes: Sequence[str], start: datetime,
                       end: datetime) -> dict[str, list[Event] | DeliveryError]:
        """Events overlapping [start, end) of many mailboxes: one `$batch` per 20 mailboxes (and per page)."""
        out: dict[str, list[Event] | DeliveryError] = {m: [] for m in mailboxes}
        pending = {m: calls.calendar_view(m, start, end) for m in mailboxes}
        while pending:
            names = list(pending)
            answers = self.batch([pending[m] for m in names])
            following: dict[str, GraphCall] = {}
            for mailbox, answer in zip(names, answers, strict=True):
                if isinstance(answer, DeliveryError):
                    out[mailbox] = answer
                    continue
                body = answer.body if isinstance(answer.body, dict) else {}
                so_far = out[mailbox]
                assert isinstance(so_far, list)
                try:
                    so_far.extend(Event.model_validate(e) for e in body.get("value", []))
                except ValidationError:
                    out[mailbox] = invalid_response("calendar_view", "event")
                    continue
                link = body.get("@odata.nextLink")
                if isinstance(link, str):
                    following[mailbox] = calls.follow(link, pending[mailbox])
            pending = following
        return out

    def get_schedule(self, mailboxes: Sequence[str], start: datetime, end: datetime,
                     interval: int = 15) -> list[ScheduleInformation]:
        """Free/busy of several mailboxes in one call (asked through the first mailbox)."""
        if not mailboxes:
            return []
        call = calls.get_schedule(mailboxes[0], mailboxes, start, end, interval)
        body = self._json(call, self.send(call))
        try:
            return [ScheduleInformation.model_validate(v) for v in body.get("value", [])]
        except (ValidationError, AttributeError) as exc:
            raise invalid_response(call.name, "scheduleInformation") from exc

    # -- $batch ---------------------------------------------------------------------------------

    def batch(self, requests: Sequence[GraphCall]) -> list[BatchResponseItem | DeliveryError]:
        """Send requests in `$batch` calls of at most 20; throttled items are sent again after Retry-After."""
        results: list[BatchResponseItem | DeliveryError | None] = [None] * len(requests)
        for offset in range(0, len(requests), calls.BATCH_LIMIT):
            pending = list(range(offset, min(offset + calls.BATCH_LIMIT, len(requests))))
            round_ = 0
            while pending:
                round_ += 1
                answers = self._batch_once([requests[i] for i in pending])
                retry: list[int] = []
                wait = 0.0
                for index, answer in zip(pending, answers, strict=True):
                    call = requests[index]
                    if answer.status < 300:
                        results[index] = answer
                        continue
                    error = error_for_status(call.name, answer.status, answer.body, _header(answer, "Retry-After"))
                    if answer.status in TRANSIENT_STATUSES and round_ <= self._policy.max_retries:
                        retry_after = parse_retry_after(_header(answer, "Retry-After"))
                        if retry_after is None or retry_after <= self._policy.max_inline_retry_after:
                            retry.append(index)
                            wait = max(wait, retry_after if retry_after is not None else backoff_seconds(
                                round_, self._policy.backoff_base_seconds, self._policy.backoff_cap_seconds))
                            continue
                    results[index] = error
                if retry:
                    self._sleep(wait)
                pending = retry
        return [r if r is not None else TransientError(f"{CONNECTOR} batch failed: no answer") for r in results]

    def _batch_once(self, requests: Sequence[GraphCall]) -> list[BatchResponseItem]:
        call = GraphCall("batch", "POST", "/$batch", json=calls.batch_body(requests))
        body = self._json(call, self.send(call))
        try:
            items = {item.id: item for item in (BatchResponseItem.model_validate(r) for r in body["responses"])}
        except (ValidationError, KeyError, TypeError) as exc:
            raise invalid_response(call.name, "responses") from exc
        # A request Graph did not answer is treated like a 503 of that request (sent again).
        return [items.get(str(i)) or BatchResponseItem(id=str(i), status=503) for i in range(1, len(requests) + 1)]


def _header(item: BatchResponseItem, name: str) -> str | None:
    for key, value in item.headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _event(call: GraphCall, body: Any) -> Event:
    try:
        return Event.model_validate(body)
    except ValidationError as exc:
        raise invalid_response(call.name, "event") from exc


def _op_result(op: CalendarOp, call: GraphCall, answer: BatchResponseItem | None,
               error: DeliveryError | None) -> OpResult:
    if error is None and answer is not None and answer.status >= 300:
        error = error_for_status(call.name, answer.status, answer.body, _header(answer, "Retry-After"))
    if error is not None:
        if isinstance(op, DeleteEvent) and isinstance(error, NotFoundError):
            return OpResult(op, gone=True)
        return OpResult(op, error=error)
    if isinstance(op, DeleteEvent):
        return OpResult(op)
    try:
        return OpResult(op, event=_event(call, answer.body if answer else None))
    except DeliveryError as exc:
        return OpResult(op, error=exc)


__all__ = ["GraphClient", "OpResult"]
