"""Stand-in servers for Zendesk, Freshdesk and Help Scout (test-only, loopback only).

These services cannot be reached from here, so a small real HTTP server plays each one: it
keeps tickets in memory and answers the requests drafter's connectors send with the shapes of
the vendors' documented examples (Zendesk Support API v2, Freshdesk API v2, Help Scout Mailbox
API 2.0), including their pagination (Zendesk cursor `links.next`/`meta.has_more`, Freshdesk
`page` and the `Link` header, Help Scout `_links.next`/`page`), their authentication (API token,
API key, OAuth2 client credentials) and their errors. Faults (429 with Retry-After, 5xx) are
queued by a test. Every request is recorded, in `requests` and in the vendor's `EVERY_REQUEST`
list for the whole session, so a test can check what was ever sent.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

EVERY_REQUEST: dict[str, list[Seen]] = {"zendesk": [], "freshdesk": [], "helpscout": []}
STAMP = "2026-12-07T{:02d}:{:02d}:00Z"


def stamp(n: int) -> str:
    """The n-th minute of 2026-12-07 08:00 UTC, as the vendors write times."""
    return STAMP.format(8 + n // 60, n % 60)


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    auth: str


@dataclass
class Fault:
    """An answer to play instead of the real one, `times` times, for paths matching `where`."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    where: str = ""


class StandIn:
    """A vendor's API on a free loopback port; subclasses route requests to their handlers."""

    vendor = ""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1000)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                owner._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.serving = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int, times: int = 1, where: str = "", **headers: str) -> None:
        """Answer the next `times` requests (whose path contains `where`) with `status`."""
        self.faults.append(Fault(status, {k.replace("_", "-"): v for k, v in headers.items()},
                                 times, where))

    def writes(self) -> list[Seen]:
        """Every request of this server that was not a GET."""
        return [r for r in self.requests if r.method != "GET"]

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        ctype = h.headers.get("content-type") or ""
        body: Any = None
        if raw and "json" in ctype:
            body = json.loads(raw)
        elif raw:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        seen = Seen(h.command, parts.path, parse_qs(parts.query), body,
                    h.headers.get("authorization") or "")
        with self.lock:
            self.requests.append(seen)
            EVERY_REQUEST[self.vendor].append(seen)
            fault = next((f for f in self.faults if f.where in parts.path), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if fault is not None:
            self._send(h, fault.status, {"error": "stand-in fault"}, fault.headers)
            return
        try:
            status, data, headers = self.route(seen)
        except KeyError:
            status, data, headers = 404, self.not_found(), {}
        self._send(h, status, data, headers)

    def _send(self, h: BaseHTTPRequestHandler, status: int, data: Any,
              headers: dict[str, str]) -> None:
        payload = b"" if data is None else json.dumps(data).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json; charset=utf-8")
        h.send_header("content-length", str(len(payload)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)

    def route(self, r: Seen) -> tuple[int, Any, dict[str, str]]:
        """The status, JSON and headers answering `r` (KeyError: 404)."""
        raise NotImplementedError

    def not_found(self) -> Any:
        return {"error": "not found"}


def _one(r: Seen, key: str, default: str = "") -> str:
    return (r.query.get(key) or [default])[0]


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


# --- Zendesk ------------------------------------------------------------------------------------


class Zendesk(StandIn):
    """Zendesk Support API v2: API-token auth (`email/token:TOKEN`), cursor pagination."""

    vendor = "zendesk"
    EMAIL = "sam@example.zendesk.com"
    TOKEN = "zd-token-6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[int, dict[str, Any]] = {
            35436: {"id": 35436, "name": "Johnny Agent", "email": self.EMAIL, "role": "agent",
                    "locale": "en-US"},
            36000: {"id": 36000, "name": "Lisa Light", "email": "lisa@example.zendesk.com",
                    "role": "end-user", "locale": "en-US"},
        }
        self.tokens = {_basic(f"{self.EMAIL}/token", self.TOKEN): 35436,
                       _basic("lisa@example.zendesk.com/token", "zd-enduser-token"): 36000}
        self.groups = [{"id": 360001, "name": "Support"}, {"id": 360002, "name": "Billing"}]
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}

    def not_found(self) -> Any:
        return {"error": "RecordNotFound", "description": "Not found"}

    def user(self, name: str, email: str, role: str = "end-user", locale: str = "en-US") -> int:
        """Add a user; return its id."""
        uid = next(self.ids)
        self.users[uid] = {"id": uid, "name": name, "email": email, "role": role,
                           "locale": locale}
        return uid

    def ticket(self, subject: str, requester: int, *, group: str = "Support",
               status: str = "open", tags: tuple[str, ...] = (), channel: str = "email",
               minute: int = 0) -> int:
        """Add a ticket (its comments come with `comment`); return its id."""
        tid = next(self.ids)
        self.tickets[tid] = {
            "id": tid, "url": f"{self.url}/api/v2/tickets/{tid}.json", "subject": subject,
            "raw_subject": subject, "status": status, "requester_id": requester,
            "submitter_id": requester, "group_id": next(g["id"] for g in self.groups
                                                         if g["name"] == group),
            "tags": list(tags), "via": {"channel": channel},
            "created_at": stamp(minute), "updated_at": stamp(minute)}
        self.comments[tid] = []
        return tid

    def comment(self, tid: int, author: int, html: str, *, public: bool = True,
                attachments: tuple[tuple[str, str, int], ...] = (), minute: int = 0) -> int:
        """Add a comment as Zendesk stores it (body, html_body, plain_body)."""
        cid = next(self.ids)
        plain = _plain(html)
        self.comments[tid].append({
            "id": cid, "type": "Comment", "author_id": author, "body": plain, "html_body": html,
            "plain_body": plain, "public": public, "audit_id": cid + 1,
            "attachments": [{"id": next(self.ids), "file_name": n, "content_type": t, "size": s,
                             "content_url": f"{self.url}/attachments/{n}"}
                            for n, t, s in attachments],
            "via": {"channel": "email"}, "created_at": stamp(minute)})
        self.tickets[tid]["updated_at"] = max(self.tickets[tid]["updated_at"], stamp(minute))
        return cid

    def route(self, r: Seen) -> tuple[int, Any, dict[str, str]]:
        me = self.tokens.get(r.auth)
        if me is None:
            return 401, {"error": "Couldn't authenticate you"}, {}
        p = r.path
        if not p.startswith("/api/v2/"):
            raise KeyError(p)
        p = p[len("/api/v2"):]
        if p == "/users/me.json":
            return 200, {"user": self.users[me]}, {}
        if m := re.fullmatch(r"/users/(\d+)\.json", p):
            return 200, {"user": self.users[int(m.group(1))]}, {}
        if p == "/groups.json":
            return 200, {"groups": self.groups, "meta": {"has_more": False},
                         "links": {"next": None}}, {}
        if p == "/tickets.json":
            if self.users[me]["role"] == "end-user":
                return 403, {"error": "Forbidden"}, {}
            return 200, self._page(r, list(self.tickets.values()), "tickets", "/tickets.json"), {}
        if m := re.fullmatch(r"/tickets/(\d+)\.json", p):
            tid = int(m.group(1))
            ticket = self.tickets[tid]
            if r.method == "GET":
                return 200, {"ticket": ticket}, {}
            if r.method == "PUT":
                if self.users[me]["role"] == "end-user":
                    return 403, {"error": "Forbidden", "description": "You do not have access"}, {}
                if ticket["status"] == "closed":
                    return 422, {"error": "RecordInvalid", "description": "Status: closed "
                                 "prevents ticket update"}, {}
                new = r.body["ticket"]["comment"]
                # Zendesk keeps a plain `body` as written and renders its HTML escaped.
                shown = new.get("html_body") or ('<div class="zd-comment" dir="auto"><p>'
                                                 + html.escape(new["body"]).replace("\n", "<br>")
                                                 + "</p></div>")
                cid = self.comment(tid, me, shown, public=new.get("public", True), minute=59)
                return 200, {"ticket": ticket, "audit": {"id": cid + 1, "ticket_id": tid,
                             "events": [{"id": cid, "type": "Comment", "author_id": me,
                                         "body": new["body"], "public": new.get("public", True)}]}}, {}
        if m := re.fullmatch(r"/tickets/(\d+)/comments\.json", p):
            comments = self.comments[int(m.group(1))]
            page = self._page(r, comments, "comments", p)
            if _one(r, "include") == "users":
                ids = {c["author_id"] for c in page["comments"]}
                page["users"] = [self.users[i] for i in sorted(ids)]
            return 200, page, {}
        if p == "/search/export.json":
            return 200, self._page(r, self._search(_one(r, "query")), "results", p), {}
        raise KeyError(p)

    def _page(self, r: Seen, items: list[Any], key: str, path: str) -> dict[str, Any]:
        size = int(_one(r, "page[size]", "100"))
        start = int(_one(r, "page[after]", "0") or 0)
        chunk = items[start:start + size]
        more = start + size < len(items)
        after = str(start + size) if more else None
        return {key: chunk, "meta": {"has_more": more, "after_cursor": after,
                                     "before_cursor": str(start) if start else None},
                "links": {"next": f"{self.url}/api/v2{path}?page%5Bsize%5D={size}&page%5Bafter%5D="
                                  f"{after}" + (f"&{_extra(r)}" if _extra(r) else "")
                          if more else None,
                          "prev": None}}

    def _search(self, query: str) -> list[dict[str, Any]]:
        found = list(self.tickets.values())
        if m := re.search(r'group:"([^"]*)"', query):
            gid = next((g["id"] for g in self.groups if g["name"] == m.group(1)), None)
            found = [t for t in found if t["group_id"] == gid]
        if m := re.search(r"updated>(\S+)", query):
            found = [t for t in found if t["updated_at"] > m.group(1)]
        order = ["new", "open", "pending", "hold", "solved", "closed"]
        tests = {"<": int.__lt__, ">": int.__gt__, ">=": int.__ge__, ":": int.__eq__}
        for op, value in re.findall(r"status(>=|<|>|:)(\w+)", query):
            found = [t for t in found
                     if tests[op](order.index(t["status"]), order.index(value))]
        return [{**t, "result_type": "ticket"} for t in found]


def _plain(markup: str) -> str:
    """What a vendor gives as a message's plain text: its HTML without tags, unescaped."""
    return html.unescape(re.sub(r"<br>", "\n", re.sub(r"<(?!br>)[^>]+>", "", markup)))


def _extra(r: Seen) -> str:
    """The query parameters of `r` other than the page's, for the next page's link."""
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, vs in r.query.items() if not k.startswith("page")
                      for v in vs])


# --- Freshdesk ----------------------------------------------------------------------------------


class Freshdesk(StandIn):
    """Freshdesk API v2: API key basic auth (`KEY:X`), `page`/`per_page` and the `Link` header."""

    vendor = "freshdesk"
    KEY = "fd-key-sFdYCO9Nk8hUD2ZDp"

    def __init__(self) -> None:
        super().__init__()
        self.agents = {
            43000: {"id": 43000, "available": True, "occasional": False, "ticket_scope": 1,
                    "contact": {"name": "Rachel Agent", "email": "rachel@example.freshdesk.com",
                                "language": "en"}}}
        self.keys = {_basic(self.KEY, "X"): 43000}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.groups = {5000: {"id": 5000, "name": "Support"}, 5001: {"id": 5001, "name": "Billing"}}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.conversations: dict[int, list[dict[str, Any]]] = {}

    def not_found(self) -> Any:
        return None  # Freshdesk answers a missing record with 404 and an empty body

    def contact(self, name: str, email: str, language: str = "en") -> int:
        cid = next(self.ids)
        self.contacts[cid] = {"id": cid, "name": name, "email": email, "language": language,
                              "active": True, "time_zone": "Berlin"}
        return cid

    def ticket(self, subject: str, requester: int, html: str, *, group: int = 5000,
               status: int = 2, tags: tuple[str, ...] = (), source: int = 1, minute: int = 0,
               attachments: tuple[tuple[str, str, int], ...] = ()) -> int:
        tid = next(self.ids)
        self.tickets[tid] = {
            "id": tid, "subject": subject, "description": html,
            "description_text": _plain(html), "status": status, "priority": 1,
            "source": source, "requester_id": requester, "group_id": group, "tags": list(tags),
            "attachments": _fd_files(attachments), "deleted": False, "spam": False,
            "created_at": stamp(minute), "updated_at": stamp(minute)}
        self.conversations[tid] = []
        return tid

    def conversation(self, tid: int, html: str, *, user: int, incoming: bool,
                     private: bool = False, minute: int = 0,
                     attachments: tuple[tuple[str, str, int], ...] = ()) -> int:
        cid = next(self.ids)
        self.conversations[tid].append({
            "id": cid, "body": html, "body_text": _plain(html),
            "incoming": incoming, "private": private, "user_id": user, "ticket_id": tid,
            "source": 2 if private else 0, "support_email": None,
            "from_email": None if private else "support@example.freshdesk.com",
            "to_emails": [], "cc_emails": [], "bcc_emails": [],
            "attachments": _fd_files(attachments), "created_at": stamp(minute),
            "updated_at": stamp(minute)})
        self.tickets[tid]["updated_at"] = max(self.tickets[tid]["updated_at"], stamp(minute))
        return cid

    def route(self, r: Seen) -> tuple[int, Any, dict[str, str]]:
        me = self.keys.get(r.auth)
        if me is None:
            return 401, {"code": "invalid_credentials",
                         "message": "You have to be logged in to perform this action."}, {}
        p = r.path
        if not p.startswith("/api/v2/"):
            raise KeyError(p)
        p = p[len("/api/v2"):]
        if p == "/agents/me":
            return 200, self.agents[me], {}
        if m := re.fullmatch(r"/agents/(\d+)", p):
            return 200, self.agents[int(m.group(1))], {}
        if m := re.fullmatch(r"/contacts/(\d+)", p):
            return 200, self.contacts[int(m.group(1))], {}
        if m := re.fullmatch(r"/groups/(\d+)", p):
            return 200, self.groups[int(m.group(1))], {}
        if p == "/tickets":
            since = _one(r, "updated_since", "1970-01-01T00:00:00Z")
            found = sorted((t for t in self.tickets.values() if t["updated_at"] > since),
                           key=lambda t: t["updated_at"])
            return self._page(r, found, p)
        if m := re.fullmatch(r"/tickets/(\d+)", p):
            t = dict(self.tickets[int(m.group(1))])
            if _one(r, "include") == "requester":
                c = self.contacts[t["requester_id"]]
                t["requester"] = {k: c[k] for k in ("id", "name", "email")} | {"mobile": None,
                                                                             "phone": None}
            return 200, t, {}
        if m := re.fullmatch(r"/tickets/(\d+)/conversations", p):
            return self._page(r, self.conversations[int(m.group(1))], p)
        if (m := re.fullmatch(r"/tickets/(\d+)/notes", p)) and r.method == "POST":
            tid = int(m.group(1))
            self.tickets[tid]  # a KeyError is the 404
            cid = self.conversation(tid, r.body["body"], user=me, incoming=False,
                                    private=r.body.get("private", True), minute=59)
            return 201, self.conversations[tid][-1] | {"id": cid}, {}
        raise KeyError(p)

    def _page(self, r: Seen, items: list[Any], path: str) -> tuple[int, Any, dict[str, str]]:
        size = int(_one(r, "per_page", "30"))
        page = int(_one(r, "page", "1"))
        chunk = items[(page - 1) * size:page * size]
        headers = {}
        if page * size < len(items):
            rest = _extra(r)
            headers["link"] = (f'<{self.url}/api/v2{path}?page={page + 1}&per_page={size}'
                               + (f"&{rest}" if rest else "") + '>; rel="next"')
        return 200, chunk, headers


def _fd_files(items: tuple[tuple[str, str, int], ...]) -> list[dict[str, Any]]:
    return [{"id": n, "name": name, "content_type": t, "size": s,
             "attachment_url": f"https://s3.amazonaws.com/files/{name}"}
            for n, (name, t, s) in enumerate(items, 1)]


# --- Help Scout ---------------------------------------------------------------------------------


class HelpScout(StandIn):
    """Help Scout Mailbox API 2.0: OAuth2 client credentials, HAL pages (`_links.next`)."""

    vendor = "helpscout"
    APP_ID = "hs-app-Dz5f2qPj"
    SECRET = "hs-secret-3xKm9wQ1Nbd0LR7cVfTq"
    PAGE = 25  # threads per page (Help Scout's documented page size for threads)

    def __init__(self) -> None:
        super().__init__()
        self.access: set[str] = set()
        self.issued = 0
        self.user = {"id": 4, "firstName": "Ana", "lastName": "Support", "email": "ana@example.com",
                     "role": "user"}
        self.mailboxes = {85: {"id": 85, "name": "Support", "slug": "support",
                               "email": "help@example.com"}}
        self.conversations: dict[int, dict[str, Any]] = {}
        self.threads: dict[int, list[dict[str, Any]]] = {}
        self.moved: dict[int, int] = {}

    def revoke(self) -> None:
        """Forget every access token (as when one expires early): the next use gets a 401."""
        self.access.clear()

    def conversation(self, subject: str, customer: dict[str, Any], *, mailbox: int = 85,
                     status: str = "active", tags: tuple[str, ...] = (), kind: str = "email",
                     minute: int = 0) -> int:
        cid = next(self.ids)
        self.conversations[cid] = {
            "id": cid, "number": cid - 900, "threads": 0, "type": kind, "folderId": 1,
            "status": status, "state": "published", "subject": subject, "preview": "",
            "mailboxId": mailbox, "createdBy": {**customer, "type": "customer"},
            "createdAt": stamp(minute), "userUpdatedAt": stamp(minute),
            "primaryCustomer": {**customer, "type": "customer"},
            "tags": [{"id": n, "color": "#929499", "tag": t} for n, t in enumerate(tags, 1)],
            "_links": {"self": {"href": f"{self.url}/v2/conversations/{cid}"}}}
        self.threads[cid] = []
        return cid

    def thread(self, cid: int, kind: str, html: str, by: dict[str, Any], *, minute: int = 0,
               state: str = "published",
               attachments: tuple[tuple[str, str, int], ...] = ()) -> int:
        tid = next(self.ids)
        self.threads[cid].append({
            "id": tid, "type": kind, "status": "active", "state": state,
            "action": {"type": "default", "text": "", "associatedEntities": {}},
            "body": html, "source": {"type": "email", "via": by["type"]},
            "createdBy": by, "to": [], "cc": [], "bcc": [], "createdAt": stamp(minute),
            "_embedded": {"attachments": [
                {"id": n, "filename": f, "mimeType": t, "size": s, "width": 0, "height": 0,
                 "_links": {"data": {"href": f"{self.url}/v2/conversations/{cid}/attachments/{n}"
                                             "/data"}}}
                for n, (f, t, s) in enumerate(attachments, 1)]}})
        self.conversations[cid]["threads"] += 1
        self.conversations[cid]["userUpdatedAt"] = max(self.conversations[cid]["userUpdatedAt"],
                                                       stamp(minute))
        return tid

    def route(self, r: Seen) -> tuple[int, Any, dict[str, str]]:
        p = r.path
        if p == "/v2/oauth2/token" and r.method == "POST":
            b = r.body or {}
            if (b.get("grant_type"), b.get("client_id"), b.get("client_secret")) != \
                    ("client_credentials", self.APP_ID, self.SECRET):
                return 401, {"error": "invalid_client",
                             "error_description": "Bad client credentials"}, {}
            self.issued += 1
            token = f"hs-access-{self.issued}"
            self.access.add(token)
            return 200, {"token_type": "bearer", "access_token": token, "expires_in": 172800}, {}
        if r.auth.removeprefix("Bearer ") not in self.access:
            return 401, {"error": "invalid_token", "message": "Invalid or expired token"}, {}
        if not p.startswith("/v2/"):
            raise KeyError(p)
        p = p[len("/v2"):]
        if p == "/users/me":
            return 200, self.user, {}
        if m := re.fullmatch(r"/mailboxes/(\d+)", p):
            return 200, self.mailboxes[int(m.group(1))], {}
        if p == "/conversations":
            found = [c for c in self.conversations.values()
                     if (not _one(r, "mailbox") or str(c["mailboxId"]) == _one(r, "mailbox"))
                     and _one(r, "status", "active") in ("all", c["status"])
                     and c["userUpdatedAt"] > _one(r, "modifiedSince", "1970")]
            found.sort(key=lambda c: c["userUpdatedAt"])
            return 200, self._page(r, found, "conversations", p, 50), {}
        if m := re.fullmatch(r"/conversations/(\d+)", p):
            cid = int(m.group(1))
            if cid in self.moved:
                return 301, None, {"location": f"{self.url}/v2/conversations/{self.moved[cid]}"}
            return 200, self.conversations[cid], {}
        if m := re.fullmatch(r"/conversations/(\d+)/threads", p):
            newest_first = list(reversed(self.threads[int(m.group(1))]))
            return 200, self._page(r, newest_first, "threads", p, self.PAGE), {}
        if (m := re.fullmatch(r"/conversations/(\d+)/notes", p)) and r.method == "POST":
            cid = int(m.group(1))
            self.conversations[cid]  # a KeyError is the 404
            tid = self.thread(cid, "note", r.body["text"],
                              {"id": self.user["id"], "type": "user", "first": "Ana",
                               "last": "Support", "email": self.user["email"]}, minute=59)
            return 201, None, {"resource-id": str(tid),
                               "location": f"{self.url}/v2/conversations/{cid}/threads/{tid}"}
        raise KeyError(p)

    def _page(self, r: Seen, items: list[Any], key: str, path: str,
              size: int) -> dict[str, Any]:
        page = int(_one(r, "page", "1"))
        chunk = items[(page - 1) * size:page * size]
        pages = max(1, -(-len(items) // size))
        links: dict[str, Any] = {"self": {"href": f"{self.url}/v2{path}?page={page}"},
                                 "first": {"href": f"{self.url}/v2{path}?page=1"},
                                 "last": {"href": f"{self.url}/v2{path}?page={pages}"}}
        if page < pages:
            rest = "&".join(f"{k}={v[0]}" for k, v in r.query.items() if k != "page")
            links["next"] = {"href": f"{self.url}/v2{path}?page={page + 1}"
                                     + (f"&{rest}" if rest else "")}
        return {"_embedded": {key: chunk}, "_links": links,
                "page": {"size": size, "totalElements": len(items), "totalPages": pages,
                         "number": page}}


def settings_flags(server: StandIn, env: str, **over: Any) -> dict[str, Any]:
    """The `[helpdesk]` settings for drafter to talk to `server` (the secret in `env`)."""
    base: dict[str, Any] = {"helpdesk.kind": server.vendor, "helpdesk.url": server.url,
                            "helpdesk.token_env": env, "llm.backoff_initial": 0.01,
                            "llm.backoff_max": 0.02}
    if isinstance(server, Zendesk):
        base["helpdesk.user"] = server.EMAIL
        base["helpdesk.queue"] = "Support"
    elif isinstance(server, Freshdesk):
        base["helpdesk.queue"] = "5000"
    elif isinstance(server, HelpScout):
        base["helpdesk.user"] = server.APP_ID
        base["helpdesk.queue"] = "85"
    return {**base, **over}

