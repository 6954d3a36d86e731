"""Freshdesk through its API v2 (`/api/v2/`), with an API key (basic auth, `KEY:X`).

A ticket is the ticket record (its description is the first message), its conversations
(`page` and the `Link` header), the requester's contact (for the language) and each agent who
wrote once. A note is a private note (`POST /tickets/N/notes`, `private: true`): the only write
this connector has, checked on every request it sends.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from drafter.helpdesk.base import Check, HelpdeskError, Listed
from drafter.helpdesk.http import HttpConnector, Response
from drafter.helpdesk.reading import WriteGuard, iso, note_html, read_body, utc
from drafter.tickets.model import Attachment, Message, Ticket

API = "/api/v2"
PAGE = 100
# Freshdesk's built-in statuses; custom ones (6 and up) read as pending.
STATUSES = {2: "open", 3: "pending", 4: "closed", 5: "closed"}
CHANNELS = {7: "chat", 5: "social", 6: "social", 13: "chat"}  # 7 chat, 5/6 social, 13 WhatsApp
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
GUARD = WriteGuard("Freshdesk", ("POST", r"/tickets/\d+/notes"))


class FreshdeskConnector(HttpConnector):
    """Freshdesk (API v2, API key): tickets of a group, private notes as notes."""

    kind = "freshdesk"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.api = config.url + API
        self._agents: dict[int, dict[str, Any]] = {}

    def authorization(self) -> str:
        """Basic auth with the API key as the user (Freshdesk's convention)."""
        return "Basic " + base64.b64encode(f"{self.config.token}:X".encode()).decode()


    def _request(self, method: str, path: str, accept: tuple[int, ...] = (),
                 json_body: Any = None, **params: Any) -> Response:
        GUARD.check(method, path)
        return self.http.request(method, self.api + path, params=params or None,
                                 json_body=json_body, accept=accept)

    def _pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged list: `page` and `per_page`, following the `Link: rel=next`."""
        response = self._request("GET", path, page=1, per_page=PAGE, **params)
        while True:
            yield from response.data or []
            found = _NEXT.search(response.headers.get("link") or "")
            if not found:
                return
            following = found.group(1)
            if not following.startswith(self.api + "/"):
                raise HelpdeskError(f"Freshdesk's next page points elsewhere: {following}")
            response = self.http.request("GET", following)

    # --- reading -----------------------------------------------------------------------------

    def fetch(self, number: str) -> Ticket:
        """Read ticket `number`: its requester, its description and every conversation."""
        name = self.name(number)
        response = self._request("GET", f"/tickets/{number}", accept=(403, 404),
                                 include="requester")
        if response.status == 404:
            raise HelpdeskError(f"{name}: no such ticket in Freshdesk at {self.config.url}",
                                hint="check the number; `draft helpdesk check` verifies the setup")
        if response.status == 403:
            raise HelpdeskError(f"{name}: the API key's agent may not see this ticket (403)",
                                hint="give the agent access to the ticket's group")
        t = response.data
        if t.get("deleted"):
            raise HelpdeskError(f"{name} is deleted in Freshdesk", hint="answer another ticket")
        requester = t.get("requester") or {}
        requester_id = t.get("requester_id")
        contact = self._request("GET", f"/contacts/{requester_id}", accept=(403, 404)) \
            if requester_id else None
        language = ((contact.data or {}).get("language") if contact and contact.status == 200
                    else None)
        body, latest = read_body(t.get("description"), t.get("description_text"))
        first = Message(
            body=body, latest=latest, sender_name=requester.get("name") or None,
            sender_address=(requester.get("email") or "").lower() or None,
            subject=t.get("subject"), date=iso(t.get("created_at")),
            message_id=f"<freshdesk-ticket-{t['id']}@{self._host}>", from_customer=True,
            attachments=_attachments(t.get("attachments")))
        messages = [first] + [self._message(c, requester_id, requester)
                              for c in self._pages(f"/tickets/{number}/conversations")]
        return Ticket(
            messages=[m for m in messages if m.body or m.attachments],
            subject=t.get("subject"), customer_name=requester.get("name") or None,
            customer_address=(requester.get("email") or "").lower() or None,
            channel=CHANNELS.get(t.get("source") or 0, "email"),
            status=STATUSES.get(t.get("status") or 0, "pending"),
            tags=[str(tag) for tag in t.get("tags") or []], name=name, language=language or None)

    @property
    def _host(self) -> str:
        return self.config.url.split("//", 1)[-1]

    def _message(self, c: dict[str, Any], requester_id: Any,
                 requester: dict[str, Any]) -> Message:
        body, latest = read_body(c.get("body"), c.get("body_text"))
        internal = bool(c.get("private"))
        customer = bool(c.get("incoming")) or c.get("user_id") == requester_id
        if c.get("user_id") == requester_id:
            name, address = requester.get("name"), requester.get("email")
        else:
            agent = (self._agent(c.get("user_id")) if not c.get("incoming") else {}) or {}
            person = agent.get("contact") or {}
            name, address = person.get("name"), person.get("email") or c.get("from_email")
        return Message(
            body=body, latest=latest, sender_name=name or None,
            sender_address=(address or "").lower() or None, date=iso(c.get("created_at")),
            message_id=f"<freshdesk-conversation-{c['id']}@{self._host}>",
            from_customer=customer and not internal,
            from_team=not customer and not c.get("incoming"),
            attachments=_attachments(c.get("attachments")), internal=internal)

    def _agent(self, user_id: Any) -> dict[str, Any]:
        """An agent's record (name and email under `contact`), read once; {} if not an agent."""
        if not user_id:
            return {}
        if user_id not in self._agents:
            found = self._request("GET", f"/agents/{user_id}", accept=(403, 404))
            self._agents[user_id] = found.data or {} if found.status == 200 else {}
        return self._agents[user_id]

    def list_tickets(self, scope: str | None = None, since: datetime | None = None,
                     status: str | None = None) -> Iterator[Listed]:
        """Yield the tickets of group `scope` (its id) updated after `since`, least recently
        updated first."""
        # Without updated_since Freshdesk lists only the last 30 days' tickets.
        when = utc(since) if since is not None else "2000-01-01T00:00:00Z"
        for t in self._pages("/tickets", updated_since=when, order_by="updated_at",
                             order_type="asc"):
            if scope and str(t.get("group_id")) != str(scope):
                continue
            mapped = STATUSES.get(t.get("status") or 0, "pending")
            if status and mapped != status:
                continue
            yield Listed(number=str(t["id"]), subject=t.get("subject"), status=mapped,
                         updated=iso(t.get("updated_at")))

    # --- writing: private notes only ----------------------------------------------------------

    def add_note(self, number: str, text: str) -> str | None:
        """Add `text` to ticket `number` as a private note, which the requester never sees."""
        response = self._request("POST", f"/tickets/{number}/notes", accept=(403, 404),
                                 json_body={"body": note_html(text), "private": True})
        if response.status == 404:
            raise HelpdeskError(f"{self.name(number)}: no such ticket in Freshdesk at "
                                f"{self.config.url}")
        if response.status == 403:
            raise HelpdeskError(f"{self.name(number)}: the API key's agent may not add notes to it",
                                hint="give the agent access to the ticket's group")
        made = response.data.get("id") if isinstance(response.data, dict) else None
        return str(made) if made is not None else None

    # --- checking ----------------------------------------------------------------------------

    def check(self) -> list[Check]:
        """URL, API key, group, and the rights to read tickets and add private notes."""
        me = self._request("GET", "/agents/me", accept=(401, 403, 404))
        if me.status == 404:
            return [Check("URL", False, f"no Freshdesk API at {self.api}: check `helpdesk.url`")]
        checks = [Check("URL", True, f"{self.api} answers")]
        if me.status in (401, 403):
            checks.append(Check("token", False, "Freshdesk refused the API key: check "
                                + (f"${self.config.token_env}" if self.config.token_env
                                   else "`helpdesk.token_command`")))
            return checks
        contact = (me.data or {}).get("contact") or {}
        checks.append(Check("token", True, f"accepted for {contact.get('email')} (an agent)"))
        if self.config.queue:
            group = self._request("GET", f"/groups/{self.config.queue}", accept=(403, 404))
            checks.append(Check(f"group {self.config.queue}", group.status == 200,
                                f"visible ({(group.data or {}).get('name')})"
                                if group.status == 200 else "missing, or the agent cannot see it"))
        seen = self._request("GET", "/tickets", accept=(403,), per_page=1)
        checks.append(Check("read tickets", seen.status == 200,
                            "the agent can list tickets" if seen.status == 200 else
                            "refused (403): give the agent a ticket scope"))
        # Every agent may add private notes to the tickets it can see.
        checks.append(Check("add internal notes", seen.status == 200,
                            "private notes, as an agent" if seen.status == 200 else
                            "not without reading tickets"))
        return checks


def _attachments(items: Any) -> list[Attachment]:
    return [Attachment(filename=a.get("name") or "", content_type=a.get("content_type") or "",
                       size=int(a.get("size") or 0)) for a in items or []]
