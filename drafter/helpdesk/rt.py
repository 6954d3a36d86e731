"""Request Tracker 5 through its REST 2 API (`/REST/2.0/`), with an auth token.

A ticket is read in a handful of requests whatever its length: the ticket, its history (the
transactions), its attachments' names and types, and the text parts of its messages; a ticket
found by a listing in three, the listing having said what the first would. Notes are
comments: the only write this connector has, checked on every request it sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from drafter.helpdesk.base import Check, HelpdeskError, Listed
from drafter.helpdesk.http import HttpClient, HttpConnector, httpx
from drafter.tickets.htmltext import html_to_text
from drafter.tickets.model import Attachment, Message, Ticket
from drafter.tickets.trim import trim

API = "/REST/2.0"
# A small page of RT's web UI: a request to it with the token signs in (RT::Interface::Web,
# AttemptTokenAuthentication) and keeps a session, whose cookie REST 2 accepts first.
WEB_SIGN_IN = "/m/"
PAGE = 100
# Transactions that carry a message: the ticket's first message, replies, comments.
MESSAGE_TYPES = {"Create": False, "Correspond": False, "Comment": True}  # -> internal
# RT's default lifecycle, read as drafter's three statuses.
STATUSES = {"new": "open", "open": "open", "stalled": "pending", "resolved": "closed",
            "rejected": "closed", "deleted": "closed"}
SEARCH_STATUS = {"open": "(Status = 'new' OR Status = 'open')", "pending": "Status = 'stalled'",
                 "closed": "(Status = 'resolved' OR Status = 'rejected')"}
# The one write: an internal comment. Anything else, a reply to the customer above all, is
# refused before it leaves (tests/test_helpdesk_rt.py proves no other path exists).
_WRITABLE = re.compile(r"/ticket/\d+/comment")
_SEARCH_BY_POST = re.compile(r"/ticket/\d+/attachments")  # a read: a search with a JSON body
_SYSTEM_USERS = ("RT_System", "Nobody")
USER_FIELDS = "Name,RealName,EmailAddress,Privileged"


class RTConnector(HttpConnector):
    """Request Tracker 5 (REST 2, token auth): tickets of a queue, comments as notes."""

    kind = "rt"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.api = config.url + API
        self.host = urlsplit(config.url).hostname or "rt"
        self._users: dict[str, dict[str, Any]] = {}
        self._commentable: dict[str, bool] = {}  # ticket -> whether RT offers to comment

    def authorization(self) -> str:
        """RT's auth token header."""
        return f"token {self.config.token}"

    def opened(self, http: HttpClient) -> None:
        """Trade the token for a web session once, so RT checks the token's hash only then.

        RT checks a token with bcrypt on every request that carries only the token (a quarter
        of a second of its CPU). Its web UI signs in a request that carries the token and keeps
        a session; REST 2 accepts that session's cookie before the token. The token header stays
        on every request, so an expired session (or a refused cookie) falls back to the token.
        A cookie that does not sign in is dropped: RT answers it with a redirect to its login
        page, not with 401, which would hide a wrong token.
        """
        try:
            http.client.get(self.config.url + WEB_SIGN_IN)
            if http.client.cookies:
                cookie_only = http.client.build_request("GET", self.api + "/rt")
                del cookie_only.headers["Authorization"]
                if http.client.send(cookie_only).status_code != 200:
                    http.client.cookies.clear()
        except httpx.HTTPError:  # the first real request retries and reports it
            http.client.cookies.clear()

    # --- reading -----------------------------------------------------------------------------

    def _get(self, path: str, accept: tuple[int, ...] = (), **params: Any) -> Any:
        return self.http.request("GET", self.api + path, params=params or None, accept=accept)

    def _pages(self, path: str, method: str = "GET", body: Any = None,
               **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged collection (RT may not tell the total, so page until short)."""
        page = 1
        while True:
            if method == "GET":
                data = self._get(path, page=page, per_page=PAGE, **params).data
            else:
                data = self._post(path, body, page=page, per_page=PAGE, **params).data
            items = (data or {}).get("items") or []
            yield from items
            if len(items) < PAGE:
                return
            page += 1

    def fetch(self, number: str) -> Ticket:
        """Read ticket `number`: its requestor, every message and comment, their attachments."""
        name = self.name(number)
        response = self._get(f"/ticket/{number}", accept=(403, 404),
                             **{"fields[Requestor]": USER_FIELDS})
        if response.status == 404:
            raise HelpdeskError(f"{name}: no such ticket in RT at {self.config.url}",
                                hint="check the number; `draft helpdesk check` verifies the setup")
        if response.status == 403:
            raise HelpdeskError(f"{name}: the token's user may not see this ticket (403)",
                                hint="grant it ShowTicket on the ticket's queue")
        data = response.data
        self._commentable[str(number)] = any(link.get("ref") == "comment"
                                             for link in data.get("_hyperlinks") or [])
        return self._read(number, data)

    def fetch_listed(self, listed: Listed) -> Ticket:
        """Read a ticket that `list_tickets` found in three requests, not four: the listing
        gave its subject, status, requestors and effective id (whether it was merged), which
        is what the ticket's own record would say (RT spends more on that record than on any
        other read)."""
        record = listed.record
        if not (isinstance(record, dict) and "EffectiveId" in record and "Requestor" in record):
            return self.fetch(listed.number)
        return self._read(listed.number, record)

    def _read(self, number: str, data: dict[str, Any]) -> Ticket:
        """The ticket whose record (from its own request or a listing) is `data`: its history,
        attachments' names and text parts, in three requests."""
        name = self.name(number)
        effective = _ref(data.get("EffectiveId")) or str(data.get("id"))
        if effective != str(number) or str(data.get("id")) != str(number):
            raise HelpdeskError(f"{name} was merged into {self.name(effective)}",
                                hint=f"use --ticket {self.name(effective)}")
        if data.get("Status") == "deleted":
            raise HelpdeskError(f"{name} is deleted in RT", hint="answer another ticket")
        requestors = [r["id"] for r in data.get("Requestor") or [] if r.get("id")]
        # Users come inline (fields[...]): each request costs RT a bcrypt check of the token.
        self._keep_users(data.get("Requestor") or [])
        transactions = [t for t in self._pages(f"/ticket/{number}/history",
                                               fields="Type,Creator,Created",
                                               **{"fields[Creator]": USER_FIELDS})
                        if t.get("Type") in MESSAGE_TYPES]
        self._keep_users(t.get("Creator") for t in transactions)
        files: dict[str, list[Attachment]] = {}
        for a in self._pages(f"/ticket/{number}/attachments",
                             fields="TransactionId,ContentType,Filename,ContentLength"):
            if a.get("Filename"):
                files.setdefault(str(a["TransactionId"]), []).append(Attachment(
                    filename=a["Filename"], content_type=a.get("ContentType") or "",
                    size=int(a.get("ContentLength") or 0)))
        texts: dict[str, list[tuple[str, str]]] = {}
        for a in self._pages(f"/ticket/{number}/attachments", method="POST",
                             body=[{"field": "ContentType", "operator": "LIKE", "value": "text/"}],
                             fields="TransactionId,ContentType,Filename,Content"):
            if not a.get("Filename") and (a.get("Content") or "").strip():
                texts.setdefault(str(a["TransactionId"]), []).append(
                    (a.get("ContentType") or "", a["Content"]))
        messages = [self._message(t, texts.get(str(t["id"]), []), files.get(str(t["id"]), []),
                                  requestors, data.get("Subject"))
                    for t in transactions]
        customer = self._user(requestors[0]) if requestors else {}
        return Ticket(
            messages=[m for m in messages if m.body or m.attachments],
            subject=data.get("Subject"),
            customer_name=customer.get("RealName") or None,
            customer_address=(customer.get("EmailAddress") or "").lower() or None,
            channel="email", status=STATUSES.get(data.get("Status", ""), "open"), name=name)

    def _message(self, txn: dict[str, Any], texts: list[tuple[str, str]],
                 files: list[Attachment], requestors: list[str], subject: str | None) -> Message:
        creator = (txn.get("Creator") or {}).get("id") or ""
        user = self._user(creator)
        plain = next((c for t, c in texts if t == "text/plain"), None)
        html = next((c for t, c in texts if t == "text/html"), None)
        body = plain if plain is not None else html_to_text(html) if html is not None else ""
        body = body.replace("\r\n", "\n").strip("\n")
        internal = MESSAGE_TYPES[txn["Type"]]
        # The customer is whoever asked (a requestor), or anyone RT does not count as staff.
        from_customer = not internal and (creator in requestors or user.get("Privileged") == 0)
        return Message(
            body=body, latest=trim(body).latest if body else "",
            sender_name=user.get("RealName") or user.get("Name") or creator or None,
            sender_address=(user.get("EmailAddress") or "").lower() or None,
            subject=subject if txn["Type"] == "Create" else None,
            date=_iso(txn.get("Created")), message_id=f"<rt-transaction-{txn['id']}@{self.host}>",
            from_customer=from_customer, attachments=files, internal=internal)

    def _keep_users(self, users: Any) -> None:
        """Cache the user records RT gave inline (a record without its fields is not kept)."""
        for u in users:
            if isinstance(u, dict) and u.get("id") and "EmailAddress" in u:
                self._users.setdefault(u["id"], u)

    def _user(self, user_id: str) -> dict[str, Any]:
        """A user's record (name, address, whether staff), cached; {} when it cannot be read."""
        if not user_id or user_id in _SYSTEM_USERS:
            return {}
        if user_id not in self._users:
            response = self._get(f"/user/{quote(user_id, safe='@')}", accept=(403, 404))
            self._users[user_id] = response.data if response.status == 200 else {}
        return self._users[user_id]

    def list_tickets(self, scope: str | None = None, since: datetime | None = None,
                     status: str | None = None) -> Iterator[Listed]:
        """Yield the tickets of queue `scope` updated after `since`, least recently updated first."""
        query = []
        if scope:
            query.append(f"Queue = '{_quote(scope)}'")
        if since is not None:
            when = since.astimezone(timezone.utc) if since.tzinfo else since
            query.append(f"LastUpdated > '{when:%Y-%m-%d %H:%M:%S}'")
        if status:
            query.append(SEARCH_STATUS[status])
        for t in self._pages("/tickets", query=" AND ".join(query) or "id > 0",
                             orderby="LastUpdated", order="ASC",
                             fields="Subject,Status,LastUpdated,EffectiveId,Requestor",
                             **{"fields[Requestor]": USER_FIELDS}):
            yield Listed(number=str(t["id"]), subject=t.get("Subject"),
                         status=STATUSES.get(t.get("Status", ""), "open"),
                         updated=_iso(t.get("LastUpdated")), record=t)

    # --- writing: internal comments only ----------------------------------------------------

    def may_add_note(self, number: str) -> bool | None:
        """RT links a ticket to its comment action only for users with CommentOnTicket."""
        return self._commentable.get(str(number))

    def _post(self, path: str, body: Any, **params: Any) -> Any:
        if not (_WRITABLE.fullmatch(path) or _SEARCH_BY_POST.fullmatch(path)):
            raise HelpdeskError(f"drafter never sends POST {path} to RT: it only adds comments")
        # RT takes a session cookie on a POST only from its own pages (CSRF): say where from.
        return self.http.request("POST", self.api + path, json_body=body, params=params or None,
                                 accept=(400, 403, 404) if _WRITABLE.fullmatch(path) else (),
                                 headers={"Referer": self.config.url + "/"})

    def add_note(self, number: str, text: str) -> str | None:
        """Add `text` to ticket `number` as a comment, which requestors never see."""
        response = self._post(f"/ticket/{number}/comment",
                              {"Content": text, "ContentType": "text/plain"})
        if response.status == 404:
            raise HelpdeskError(f"{self.name(number)}: no such ticket in RT at {self.config.url}")
        if response.status in (400, 403):
            # RT answers a missing right with 400 and "Permission Denied".
            said = (response.data or {}).get("message", "") if isinstance(response.data, dict) else ""
            if response.status == 403 or "permission" in str(said).lower():
                raise self.no_comment_right(number)
            raise HelpdeskError(f"{self.name(number)}: RT refused the comment ({response.status}): "
                                f"{str(said)[:200]}")
        return None

    def no_comment_right(self, number: str) -> HelpdeskError:
        """The error for a ticket the token's user may not comment on."""
        return HelpdeskError(f"{self.name(number)}: the token's user may not comment on it",
                             hint="grant it CommentOnTicket on the ticket's queue")

    # --- checking ----------------------------------------------------------------------------

    def check(self) -> list[Check]:
        """URL, token, queue, and the rights to read tickets and add comments."""
        checks: list[Check] = []
        response = self._get("/rt", accept=(401, 403, 404))
        if response.status == 404:
            return [Check("URL", False, f"no RT REST 2 API at {self.api}: check `helpdesk.url`")]
        checks.append(Check("URL", True, f"{self.api} answers"))
        if response.status in (401, 403):
            checks.append(Check("token", False, "RT refused the token: check "
                                + (f"${self.config.token_env}" if self.config.token_env
                                   else "`helpdesk.token_command`")))
            return checks
        checks.append(Check("token", True, f"accepted by RT {response.data.get('Version', '')}"))
        queue = self.config.queue
        if queue:
            found = self._get(f"/queue/{queue}", accept=(403, 404))
            checks.append(Check(f"queue {queue}", found.status == 200,
                                "visible" if found.status == 200 else
                                "missing, or the token's user lacks SeeQueue on it"))
            if found.status != 200:
                return checks
        query = f"Queue = '{_quote(queue)}'" if queue else "id > 0"
        first = next(iter((self._get("/tickets", query=query, per_page=1, orderby="id",
                                     order="DESC").data or {}).get("items") or []), None)
        if first is None:
            checks.append(Check("read tickets", False, f"no ticket visible{' in ' + queue if queue else ''}:"
                                " grant ShowTicket, or check again once a ticket exists"))
            return checks
        ticket = self._get(f"/ticket/{first['id']}").data
        links = {link.get("ref") for link in ticket.get("_hyperlinks") or []}
        checks.append(Check("read tickets", "history" in links,
                            f"ShowTicket (seen on {self.name(first['id'])})"))
        checks.append(Check("add internal notes", "comment" in links,
                            "CommentOnTicket" + ("" if "comment" in links else
                                                 " is missing: grant it on the queue")))
        return checks


def _iso(value: str | None) -> str | None:
    """RT's `2026-12-07T03:36:46Z` as ISO 8601 with an offset; RT's zero date as None."""
    if not value or value.startswith("1970-01-01"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def _ref(value: Any) -> str:
    """The id of a record RT refers to: an object with an id in a record, a bare value in a
    listing's fields ("" for none)."""
    return str(value.get("id") or "") if isinstance(value, dict) else str(value or "")


def _quote(value: str) -> str:
    """A value for a quoted TicketSQL string."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
