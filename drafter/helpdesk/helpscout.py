"""Help Scout through its Mailbox API 2.0 (`/v2/`), with OAuth2 client credentials.

`helpdesk.user` is the app's ID and the token its secret; drafter asks for an access token
(`POST /v2/oauth2/token`) and asks again when it expires or is refused. A ticket is the
conversation and its threads (`page`, `_links.next`; newest first, put in order here). A note is
a note thread (`POST /conversations/N/notes`): the only write this connector has besides the
token request, checked on every request it sends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from drafter.helpdesk.base import Check, HelpdeskError, Listed
from drafter.helpdesk.http import HttpClient, HttpConnector, Response
from drafter.helpdesk.reading import WriteGuard, iso, note_html, read_body, utc
from drafter.tickets.model import Attachment, Message, Ticket

API = "/v2"
TOKEN_PATH = "/oauth2/token"
STATUSES = {"active": "open", "pending": "pending", "closed": "closed", "spam": "closed"}
CHANNELS = {"chat": "chat", "messaging": "chat"}
# Threads that carry a message: the customer's, the team's replies, notes, chats and phone
# records. Line items (status changes, workflows) and drafts carry none.
MESSAGE_TYPES = {"customer", "message", "reply", "note", "chat", "phone"}
GUARD = WriteGuard("Help Scout", ("POST", r"/conversations/\d+/notes"), ("POST", TOKEN_PATH))
EARLY = 60.0  # seconds before its expiry that an access token is renewed


class HelpScoutConnector(HttpConnector):
    """Help Scout (Mailbox API 2.0, OAuth2 client credentials): conversations of a mailbox,
    notes as notes."""

    kind = "helpscout"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.api = config.url + API
        self._expires = 0.0

    @property
    def http(self) -> HttpClient:
        """The HTTP client with a live access token (asked for on first use, renewed early)."""
        http = super().http  # no header yet: _renew sets the bearer token
        if time.monotonic() >= self._expires:
            self._renew()
        return http

    def _renew(self) -> None:
        """Ask for an access token with the app's ID and secret (they go in the form only)."""
        assert self._http is not None
        app = self.config.required_user("the app's ID (its secret is the token)")
        response = self._http.request(
            "POST", self.api + TOKEN_PATH, accept=(400, 401), auth=False,
            form={"grant_type": "client_credentials", "client_id": app,
                  "client_secret": self.config.token})
        data = response.data if isinstance(response.data, dict) else {}
        if response.status != 200 or not data.get("access_token"):
            token = (f"the environment variable {self.config.token_env}" if self.config.token_env
                     else "the output of `helpdesk.token_command`")
            raise HelpdeskError(f"Help Scout refused the app's credentials ({response.status})",
                                hint=f"check `helpdesk.user` (the app's ID) and {token} "
                                "(its secret): Your Profile > My Apps")
        self._http.set_auth(f"Bearer {data['access_token']}")
        self._expires = time.monotonic() + float(data.get("expires_in") or 7200) - EARLY


    def _request(self, method: str, path: str, accept: tuple[int, ...] = (),
                 json_body: Any = None, url: str | None = None, **params: Any) -> Response:
        """One request; a token refused on the way (revoked, expired early) is renewed once."""
        GUARD.check(method, path)
        target = url or self.api + path
        response = self.http.request(method, target, params=params or None, json_body=json_body,
                                     accept=(*accept, 401))
        if response.status == 401:
            self._renew()
            response = self.http.request(method, target, params=params or None,
                                         json_body=json_body, accept=accept)
        return response

    def _pages(self, path: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged list: `_embedded.KEY`, following `_links.next`."""
        data = self._request("GET", path, **params).data or {}
        while True:
            yield from (data.get("_embedded") or {}).get(key) or []
            following = ((data.get("_links") or {}).get("next") or {}).get("href")
            if not following:
                return
            if not following.startswith(self.api + "/"):
                raise HelpdeskError(f"Help Scout's next page points elsewhere: {following}")
            data = self._request("GET", path, url=following).data or {}

    # --- reading -----------------------------------------------------------------------------

    def fetch(self, number: str) -> Ticket:
        """Read conversation `number` (its id): its customer and every thread, oldest first."""
        name = self.name(number)
        response = self._request("GET", f"/conversations/{number}", accept=(301, 403, 404))
        if response.status == 301:  # moved or merged: Location names the one to use
            into = (response.headers.get("location") or "").rstrip("/").rsplit("/", 1)[-1]
            raise HelpdeskError(f"{name} was merged or moved into {self.name(into)}",
                                hint=f"use --ticket {self.name(into)}")
        if response.status == 404:
            raise HelpdeskError(f"{name}: no such conversation in Help Scout (or it is deleted)",
                                hint="the number is the conversation's id, from its URL")
        if response.status == 403:
            raise HelpdeskError(f"{name}: the app's user may not see this mailbox (403)",
                                hint="give the user access to the mailbox")
        c = response.data
        if c.get("state") == "deleted":
            raise HelpdeskError(f"{name} is deleted in Help Scout", hint="answer another ticket")
        threads = list(self._pages(f"/conversations/{number}/threads", "threads"))
        threads.sort(key=lambda th: (th.get("createdAt") or "", th.get("id") or 0))
        customer = c.get("primaryCustomer") or c.get("customer") or {}
        messages = [self._message(th, customer) for th in threads
                    if th.get("type") in MESSAGE_TYPES and th.get("state", "published") == "published"]
        return Ticket(
            messages=[m for m in messages if m.body or m.attachments],
            subject=c.get("subject"), customer_name=_person(customer) or None,
            customer_address=(customer.get("email") or "").lower() or None,
            channel=CHANNELS.get(c.get("type") or "", "email"),
            status=STATUSES.get(c.get("status") or "", "open"),
            tags=[str(t.get("tag") if isinstance(t, dict) else t) for t in c.get("tags") or []],
            name=name)

    def _message(self, th: dict[str, Any], customer: dict[str, Any]) -> Message:
        by = th.get("createdBy") or {}
        body, latest = read_body(th.get("body"))
        internal = th.get("type") == "note"
        from_customer = not internal and (th.get("type") == "customer" or by.get("type") == "customer")
        files = (th.get("_embedded") or {}).get("attachments") or th.get("attachments") or []
        return Message(
            body=body, latest=latest, sender_name=_person(by) or None,
            sender_address=(by.get("email") or "").lower() or None, date=iso(th.get("createdAt")),
            message_id=f"<helpscout-thread-{th['id']}@api.helpscout.net>",
            from_customer=from_customer, from_team=not from_customer and by.get("type") == "user",
            attachments=[Attachment(filename=a.get("filename") or "",
                                    content_type=a.get("mimeType") or "",
                                    size=int(a.get("size") or 0)) for a in files],
            internal=internal)

    def list_tickets(self, scope: str | None = None, since: datetime | None = None,
                     status: str | None = None) -> Iterator[Listed]:
        """Yield the conversations of mailbox `scope` (its id) modified after `since`, least
        recently modified first."""
        params: dict[str, Any] = {"status": {"open": "active"}.get(status or "", status or "all"),
                                  "sortField": "modifiedAt", "sortOrder": "asc"}
        if scope:
            params["mailbox"] = scope
        if since is not None:
            params["modifiedSince"] = utc(since)
        for c in self._pages("/conversations", "conversations", **params):
            yield Listed(number=str(c["id"]), subject=c.get("subject"),
                         status=STATUSES.get(c.get("status") or "", "open"),
                         updated=iso(c.get("userUpdatedAt") or c.get("modifiedAt")
                                     or c.get("createdAt")))

    # --- writing: notes only -----------------------------------------------------------------

    def add_note(self, number: str, text: str) -> str | None:
        """Add `text` to conversation `number` as a note, which the customer never sees."""
        response = self._request("POST", f"/conversations/{number}/notes", accept=(403, 404),
                                 json_body={"text": note_html(text)})
        if response.status == 404:
            raise HelpdeskError(f"{self.name(number)}: no such conversation in Help Scout")
        if response.status == 403:
            raise HelpdeskError(f"{self.name(number)}: the app's user may not add notes to it",
                                hint="give the user access to the mailbox")
        return response.headers.get("resource-id") or None

    # --- checking ----------------------------------------------------------------------------

    def check(self) -> list[Check]:
        """URL, app credentials, mailbox, and the rights to read conversations and add notes."""
        try:
            me = self._request("GET", "/users/me", accept=(403, 404))
        except HelpdeskError as exc:
            if "refused the app's credentials" not in exc.message:
                raise
            return [Check("URL", True, f"{self.api} answers"), Check("token", False, exc.message)]
        if me.status == 404:
            return [Check("URL", False, f"no Help Scout API at {self.api}: check `helpdesk.url`")]
        checks = [Check("URL", True, f"{self.api} answers"),
                  Check("token", True, f"an access token for {(me.data or {}).get('email')}")]
        if self.config.queue:
            box = self._request("GET", f"/mailboxes/{self.config.queue}", accept=(403, 404))
            checks.append(Check(f"mailbox {self.config.queue}", box.status == 200,
                                f"visible ({(box.data or {}).get('name')})" if box.status == 200
                                else "missing, or the user cannot see it"))
        params = {"mailbox": self.config.queue} if self.config.queue else {}
        seen = self._request("GET", "/conversations", accept=(403,), **params)
        checks.append(Check("read tickets", seen.status == 200,
                            "the user can list conversations" if seen.status == 200 else
                            "refused (403): give the user access to the mailbox"))
        # Any user who can see a mailbox may add notes to its conversations.
        checks.append(Check("add internal notes", seen.status == 200,
                            "notes, as a user of the mailbox" if seen.status == 200 else
                            "not without reading conversations"))
        return checks


def _person(p: dict[str, Any]) -> str:
    return " ".join(part for part in (p.get("first"), p.get("last")) if part).strip()
