"""Zendesk through its Support API v2 (`/api/v2/`), with an API token (`email/token:TOKEN`).

A ticket is the ticket record and its comments (users sideloaded, cursor pages). A note is a
comment with `public: false`, added by updating the ticket with that comment and nothing else:
the only write this connector has, checked on every request it sends.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from drafter.helpdesk.base import Check, HelpdeskError, Listed
from drafter.helpdesk.http import HttpConnector, Response
from drafter.helpdesk.reading import WriteGuard, iso, read_body, utc
from drafter.tickets.model import Attachment, Message, Ticket

API = "/api/v2"
PAGE = 100
STATUSES = {"new": "open", "open": "open", "pending": "pending", "hold": "pending",
            "solved": "closed", "closed": "closed", "deleted": "closed"}
SEARCH_STATUS = {"open": "status<pending", "pending": "status>open status<solved",
                 "closed": "status>=solved"}
CHANNELS = {"chat": "chat", "native_messaging": "chat", "messaging": "chat",
            "twitter": "social", "facebook": "social", "instagram_dm": "social",
            "whatsapp": "chat"}
# A comment saying the ticket was merged (Zendesk's own wording, its default locale).
MERGED = re.compile(r"merged into (?:request|ticket) #(\d+)", re.IGNORECASE)
GUARD = WriteGuard("Zendesk", ("PUT", r"/tickets/\d+\.json"))


class ZendeskConnector(HttpConnector):
    """Zendesk Support (API v2, API-token auth): tickets of a group, private comments as notes."""

    kind = "zendesk"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.api = config.url + API
        self._users: dict[int, dict[str, Any]] = {}

    def authorization(self) -> str:
        """Basic auth as `agent-email/token` with the API token (Zendesk's API-token auth)."""
        user = self.config.required_user("the agent's email address")
        return "Basic " + base64.b64encode(f"{user}/token:{self.config.token}".encode()).decode()


    def _request(self, method: str, path: str, accept: tuple[int, ...] = (),
                 json_body: Any = None, **params: Any) -> Response:
        GUARD.check(method, path)
        return self.http.request(method, self.api + path, params=params or None,
                                 json_body=json_body, accept=accept)

    def _pages(self, path: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paged list (`meta.has_more`, `links.next`); sideloaded users
        are kept."""
        params["page[size]"] = PAGE
        data = self._request("GET", path, **params).data or {}
        while True:
            for user in data.get("users") or []:
                self._users[user["id"]] = user
            yield from data.get(key) or []
            following = (data.get("links") or {}).get("next")
            if not (data.get("meta") or {}).get("has_more") or not following:
                return
            if not following.startswith(self.api + "/"):
                raise HelpdeskError(f"Zendesk's next page points elsewhere: {following}")
            data = self.http.request("GET", following).data or {}

    # --- reading -----------------------------------------------------------------------------

    def fetch(self, number: str) -> Ticket:
        """Read ticket `number`: its requester, every comment (public and private) in order."""
        name = self.name(number)
        response = self._request("GET", f"/tickets/{number}.json", accept=(403, 404))
        if response.status == 404:
            raise HelpdeskError(f"{name}: no such ticket in Zendesk at {self.config.url} "
                                "(or it is deleted)", hint="check the number")
        if response.status == 403:
            raise HelpdeskError(f"{name}: the token's user may not see this ticket (403)",
                                hint="give the agent access to the ticket's group")
        t = response.data["ticket"]
        if t.get("status") == "deleted":
            raise HelpdeskError(f"{name} is deleted in Zendesk", hint="answer another ticket")
        comments = list(self._pages(f"/tickets/{number}/comments.json", "comments",
                                    include="users"))
        tags = [str(tag) for tag in t.get("tags") or []]
        if "closed_by_merge" in tags:
            into = next((m.group(1) for c in reversed(comments)
                         if (m := MERGED.search(c.get("plain_body") or c.get("body") or ""))),
                        None)
            raise HelpdeskError(f"{name} was merged into "
                                + (self.name(into) if into else "another ticket"),
                                hint=f"use --ticket {self.name(into)}" if into else
                                "find the ticket it was merged into in Zendesk")
        requester = self._user(t.get("requester_id"))
        messages = [self._message(c, t) for c in comments]
        return Ticket(
            messages=[m for m in messages if m.body or m.attachments],
            subject=t.get("subject") or t.get("raw_subject"),
            customer_name=requester.get("name") or None,
            customer_address=(requester.get("email") or "").lower() or None,
            channel=CHANNELS.get(((t.get("via") or {}).get("channel") or ""), "email"),
            status=STATUSES.get(t.get("status") or "", "open"), tags=tags, name=name,
            language=requester.get("locale") or None)

    def _message(self, c: dict[str, Any], t: dict[str, Any]) -> Message:
        author = self._user(c.get("author_id"))
        body, latest = read_body(c.get("html_body"), c.get("plain_body") or c.get("body"))
        internal = not c.get("public", True)
        role = author.get("role")
        # The customer is the requester, or anyone Zendesk counts as an end user.
        customer = c.get("author_id") == t.get("requester_id") or role == "end-user"
        return Message(
            body=body, latest=latest, sender_name=author.get("name") or None,
            sender_address=(author.get("email") or "").lower() or None,
            date=iso(c.get("created_at")),
            message_id=f"<zendesk-comment-{c['id']}@{self.config.url.split('//', 1)[-1]}>",
            from_customer=customer and not internal,
            from_team=not customer and role in ("agent", "admin"),
            attachments=[Attachment(filename=a.get("file_name") or "",
                                    content_type=a.get("content_type") or "",
                                    size=int(a.get("size") or 0))
                         for a in c.get("attachments") or []],
            internal=internal)

    def _user(self, user_id: Any) -> dict[str, Any]:
        """A user's record (name, email, role, locale), sideloaded or read once; {} if hidden."""
        if not user_id:
            return {}
        if user_id not in self._users:
            found = self._request("GET", f"/users/{user_id}.json", accept=(403, 404))
            self._users[user_id] = (found.data or {}).get("user") or {} \
                if found.status == 200 else {}
        return self._users[user_id]

    def list_tickets(self, scope: str | None = None, since: datetime | None = None,
                     status: str | None = None) -> Iterator[Listed]:
        """Yield the tickets of group `scope` updated after `since`, least recently updated
        first (Zendesk's search export, cursor-paged)."""
        query = ["type:ticket"]
        if scope:
            query.append('group:"' + scope.replace('"', "") + '"')
        if since is not None:
            query.append(f"updated>{utc(since)}")
        if status:
            query.append(SEARCH_STATUS[status])
        found = [Listed(number=str(t["id"]), subject=t.get("subject"),
                        status=STATUSES.get(t.get("status") or "", "open"),
                        updated=iso(t.get("updated_at")))
                 for t in self._pages("/search/export.json", "results",
                                      query=" ".join(query), **{"filter[type]": "ticket"})]
        yield from sorted(found, key=lambda item: item.updated or "")

    # --- writing: private comments only -------------------------------------------------------

    def add_note(self, number: str, text: str) -> str | None:
        """Add `text` to ticket `number` as a private comment (`public: false`), which the
        requester never sees; nothing else of the ticket is changed."""
        response = self._request(
            "PUT", f"/tickets/{number}.json", accept=(403, 404, 422),
            json_body={"ticket": {"comment": {"body": text, "public": False}}})
        if response.status == 404:
            raise HelpdeskError(f"{self.name(number)}: no such ticket in Zendesk at {self.config.url}")
        if response.status == 403:
            raise HelpdeskError(f"{self.name(number)}: the token's user may not add comments to it",
                                hint="use an agent's (not an end user's or a light agent's "
                                "read-only) token")
        if response.status == 422:
            said = (response.data or {}).get("description") if isinstance(response.data, dict) \
                else None
            raise HelpdeskError(f"{self.name(number)}: Zendesk refused the note (422)"
                                + (f": {str(said)[:200]}" if said else ""),
                                hint="a closed ticket takes no comments; answer a follow-up")
        events = ((response.data or {}).get("audit") or {}).get("events") or []
        return next((str(e["id"]) for e in events if e.get("type") == "Comment"), None)

    # --- checking ----------------------------------------------------------------------------

    def check(self) -> list[Check]:
        """URL, token, group, and the rights to read tickets and add private comments."""
        me = self._request("GET", "/users/me.json", accept=(401, 403, 404))
        if me.status == 404:
            return [Check("URL", False, f"no Zendesk API at {self.api}: check `helpdesk.url`")]
        checks = [Check("URL", True, f"{self.api} answers")]
        user = (me.data or {}).get("user") or {}
        if me.status in (401, 403) or not user.get("id"):
            checks.append(Check("token", False, "Zendesk refused the token: check "
                                + (f"${self.config.token_env}" if self.config.token_env
                                   else "`helpdesk.token_command`") + " and `helpdesk.user`"))
            return checks
        role = user.get("role") or "?"
        checks.append(Check("token", True, f"accepted for {user.get('email')} ({role})"))
        if self.config.queue:
            names = {g.get("name") for g in self._pages("/groups.json", "groups")}
            checks.append(Check(f"group {self.config.queue}", self.config.queue in names,
                                "visible" if self.config.queue in names else
                                "missing, or the agent cannot see it"))
        seen = self._request("GET", "/tickets.json", (403,), None, **{"page[size]": 1})
        checks.append(Check("read tickets", seen.status == 200,
                            "the agent can list tickets" if seen.status == 200 else
                            "refused (403): the token must be an agent's"))
        agent = role in ("agent", "admin")
        checks.append(Check("add internal notes", agent,
                            f"private comments, as {role}" if agent else
                            f"a {role} cannot add private comments: use an agent's token"))
        return checks
