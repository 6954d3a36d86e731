"""Helpdesk work beside a batch: fetch tickets on a few threads, and post drafts as internal
notes while other tickets are still being drafted.

Each thread has a connector of its own (its own connections and caches). Nothing here touches
the store: the App hands in what to post and takes back what happened.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from drafter.errors import DrafterError
from drafter.helpdesk.base import Connector, HelpdeskUnavailable
from drafter.tickets.model import Ticket

T = TypeVar("T")
K = TypeVar("K")
_STOP = object()


class Connectors:
    """One connector per thread, made on first use there; all closed together."""

    def __init__(self, make: Callable[[], Connector]) -> None:
        self._make = make
        self._local = threading.local()
        self._all: list[Connector] = []
        self._lock = threading.Lock()

    def get(self) -> Connector:
        """This thread's connector."""
        found: Connector | None = getattr(self._local, "connector", None)
        if found is None:
            found = self._make()
            self._local.connector = found
            with self._lock:
                self._all.append(found)
        return found

    def close(self) -> None:
        """Close every connector made."""
        for c in self._all:
            c.close()
        self._all.clear()


def fetch_many(connectors: Connectors, items: Iterable[K], workers: int,
               fetch: Callable[[Connector, K], T]) -> Iterator[tuple[K, T | DrafterError]]:
    """`fetch(connector, item)` for every item (a number, or a listed ticket) on `workers`
    threads; yield (item, result or the DrafterError it raised) in the order given, each as
    soon as it and those before it are done."""
    def one(item: K) -> tuple[K, T | DrafterError]:
        try:
            return item, fetch(connectors.get(), item)
        except HelpdeskUnavailable:
            raise
        except DrafterError as exc:
            return item, exc

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="helpdesk") as pool:
        yield from pool.map(one, items)


@dataclass(frozen=True)
class NoteJob:
    """A draft to post: the ticket's number, the note, the customer message the draft answers,
    and the ticket as fetched (with its notes) if it is at hand."""

    number: str
    text: str
    answers: str | None
    ticket: Ticket | None = None


@dataclass
class PostReport:
    """What posting did: notes added, notes that were there already, failures by ticket."""

    posted: list[str] = field(default_factory=list)
    there: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    unavailable: bool = False  # the helpdesk failed after retries (exit 3, not 2)

    def to_dict(self) -> dict[str, object]:
        """The report as plain data."""
        return {"posted": len(self.posted), "there": len(self.there),
                "failed": [{"ticket": t, "reason": r} for t, r in self.failed]}


class NotePoster:
    """Posts notes on `workers` threads as jobs come in; `close` waits for them and reports."""

    def __init__(self, connectors: Connectors, workers: int = 2, force: bool = False) -> None:
        self.connectors = connectors
        self.force = force
        self.report = PostReport()
        self._jobs: queue.Queue[object] = queue.Queue()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, name=f"helpdesk-notes-{n}",
                                          daemon=True) for n in range(max(1, workers))]
        for t in self._threads:
            t.start()

    def submit(self, job: NoteJob) -> None:
        """Post `job` as soon as a thread is free."""
        self._jobs.put(job)

    def close(self) -> PostReport:
        """Wait until every submitted note is posted (or failed); return the report."""
        for _ in self._threads:
            self._jobs.put(_STOP)
        for t in self._threads:
            t.join()
        return self.report

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            assert isinstance(job, NoteJob)
            connector = self.connectors.get()
            name = connector.name(job.number)
            try:
                self._post(connector, job, name)
            except HelpdeskUnavailable as exc:
                with self._lock:
                    self.report.failed.append((name, exc.message))
                    self.report.unavailable = True
            except DrafterError as exc:
                with self._lock:
                    self.report.failed.append((name, exc.message))

    def _post(self, connector: Connector, job: NoteJob, name: str) -> None:
        ticket = job.ticket if job.ticket is not None else connector.fetch(job.number)
        latest = ticket.latest_customer_message
        if job.answers is not None and (latest is None or latest.message_id != job.answers):
            with self._lock:
                self.report.failed.append((name, "the customer wrote again since the draft: "
                                           "sync and draft it again (--redo)"))
            return
        done = connector.post_note(ticket, job.text, force=self.force)
        with self._lock:
            (self.report.posted if done.posted else self.report.there).append(name)
