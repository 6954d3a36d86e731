"""The store's schema: one ordered list of migrations, each upgrading it by one version."""

from __future__ import annotations

# Entry n upgrades a database from version n to n + 1 (PRAGMA user_version); a store of an
# older version is migrated in place when opened. Add new versions at the end, never edit a
# past entry, and give tests/test_store_migrations.py a row of data for it.
MIGRATIONS: tuple[str, ...] = (
    # 1: tickets and their messages, threaded by Message-ID and References.
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subject TEXT,
        customer_name TEXT,
        customer_address TEXT,
        channel TEXT NOT NULL DEFAULT 'email',
        status TEXT NOT NULL DEFAULT 'open',
        tags TEXT NOT NULL DEFAULT '[]',
        external_id TEXT UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL UNIQUE,
        in_reply_to TEXT,
        refs TEXT NOT NULL DEFAULT '[]',
        sender_name TEXT,
        sender_address TEXT,
        recipients TEXT NOT NULL DEFAULT '[]',
        subject TEXT,
        date TEXT,
        sort_key REAL,
        body TEXT NOT NULL,
        latest TEXT NOT NULL,
        from_customer INTEGER NOT NULL,
        attachments TEXT NOT NULL DEFAULT '[]',
        imported_at TEXT NOT NULL
    );
    CREATE INDEX messages_ticket ON messages(ticket_id);
    CREATE INDEX messages_in_reply_to ON messages(in_reply_to);
    CREATE TABLE message_refs (
        message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        ref TEXT NOT NULL
    );
    CREATE INDEX message_refs_ref ON message_refs(ref);
    """,
    # 2: stored drafts (one per ticket, the latest run's) and Batch API jobs.
    """
    CREATE TABLE drafts (
        ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
        reason TEXT,
        draft TEXT,
        body TEXT,
        findings TEXT NOT NULL DEFAULT '[]',
        usage TEXT NOT NULL DEFAULT '{}',
        cost REAL,
        model TEXT,
        prompt_version TEXT,
        rounds INTEGER NOT NULL DEFAULT 0,
        kept_round INTEGER,
        via TEXT NOT NULL DEFAULT 'concurrent',
        job_id TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX drafts_status ON drafts(status);
    CREATE TABLE batch_jobs (
        id TEXT PRIMARY KEY,
        round INTEGER NOT NULL DEFAULT 0,
        parent TEXT,
        status TEXT NOT NULL,
        model TEXT,
        prompt_version TEXT,
        base_url TEXT,
        input_file_id TEXT,
        output_file_id TEXT,
        error_file_id TEXT,
        counts TEXT NOT NULL DEFAULT '{}',
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        collected_at TEXT
    );
    CREATE TABLE batch_items (
        job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        rounds TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (job_id, ticket_id)
    );
    CREATE INDEX batch_items_ticket ON batch_items(ticket_id);
    """,
    # 3: how far each IMAP mailbox has been synced. IF NOT EXISTS: before this version the
    # sync created the table itself, so a version-2 store may hold it already, with its rows.
    """
    CREATE TABLE IF NOT EXISTS imap_sync_state (
        account TEXT NOT NULL,
        mailbox TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (account, mailbox)
    );
    """,
    # 4: a message the source says the team wrote (a helpdesk's author role). Earlier rows
    # default to 0: in prompts they are the team's only by the team's addresses and domains.
    """
    ALTER TABLE messages ADD COLUMN from_team INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: which run is drafting (or last drafted) which ticket, so that runs at the same time
    # share the work. A claim lapses when its run dies: its expiry (which a live run keeps
    # renewing) passes, or, on the same host, its process is gone. Times are Unix seconds.
    """
    CREATE TABLE claims (
        ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL,
        finished_at REAL
    );
    CREATE INDEX claims_owner ON claims(owner);
    """,
    # 6: the knowledge index (docs/knowledge.md): per project (the folder of the config that
    # names the knowledge), the sources read (a file, the facts, the store's past replies) with
    # what they were when read, their passages, and SQLite's full-text index over them
    # (contentless: the text is kept once, in kb_passages; its `project` column holds the token
    # kbprojectN, so that a search matches one project's passages inside the index).
    """
    CREATE TABLE kb_projects (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        root TEXT NOT NULL UNIQUE,
        indexed_at TEXT
    );
    CREATE TABLE kb_sources (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project INTEGER NOT NULL REFERENCES kb_projects(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        mtime_ns INTEGER,
        size INTEGER,
        hash TEXT,
        indexed_at TEXT NOT NULL,
        UNIQUE (project, path)
    );
    CREATE TABLE kb_passages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source INTEGER NOT NULL REFERENCES kb_sources(id) ON DELETE CASCADE,
        project INTEGER NOT NULL REFERENCES kb_projects(id) ON DELETE CASCADE,
        passage_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        heading TEXT,
        text TEXT NOT NULL,
        context TEXT,
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX kb_passages_source ON kb_passages(source);
    CREATE INDEX kb_passages_project ON kb_passages(project);
    CREATE VIRTUAL TABLE kb_fts USING fts5(
        heading, text, context, project, content='',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER kb_passages_insert AFTER INSERT ON kb_passages BEGIN
        INSERT INTO kb_fts (rowid, heading, text, context, project)
            VALUES (new.id, new.heading, new.text, new.context, 'kbproject' || new.project);
    END;
    CREATE TRIGGER kb_passages_delete AFTER DELETE ON kb_passages BEGIN
        INSERT INTO kb_fts (kb_fts, rowid, heading, text, context, project)
            VALUES ('delete', old.id, old.heading, old.text, old.context,
                    'kbproject' || old.project);
    END;
    """,
    # 7: the customer's language as a helpdesk gives it (e.g. "de"), NULL when unknown.
    """
    ALTER TABLE tickets ADD COLUMN language TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
