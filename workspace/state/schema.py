"""The SQLite schema: one generic records table plus the relations between records.

Every record kind and collection lives in `records` (resource names it: "contacts",
"ce:projects", "tasks", "notes" ...); children such as notes, case replies, pipeline stages
and report rows point at their owner with `parent_id`, so deleting a record can remove its
children in one statement. Ids come from one AUTOINCREMENT sequence, so they are global across
accounts and resources: another account's id is simply not found.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    resource TEXT NOT NULL,
    parent_id INTEGER,
    data TEXT NOT NULL,
    date_added TEXT NOT NULL,
    date_modified TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX IF NOT EXISTS records_by_resource ON records (account, resource, id);
CREATE INDEX IF NOT EXISTS records_by_parent ON records (parent_id);

CREATE TABLE IF NOT EXISTS uniques (
    account TEXT NOT NULL,
    resource TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (account, resource, field, value)
);
CREATE INDEX IF NOT EXISTS uniques_by_record ON uniques (record_id);

CREATE TABLE IF NOT EXISTS lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    resource TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    is_global INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS list_members (
    list_id INTEGER NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (list_id, record_id)
);
CREATE INDEX IF NOT EXISTS list_members_by_record ON list_members (record_id);

CREATE TABLE IF NOT EXISTS associations (
    deal_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (deal_id, kind, record_id)
);
CREATE INDEX IF NOT EXISTS associations_by_record ON associations (record_id);

CREATE TABLE IF NOT EXISTS workflow_links (
    record_id INTEGER NOT NULL,
    workflow_id INTEGER NOT NULL,
    PRIMARY KEY (record_id, workflow_id)
);
CREATE INDEX IF NOT EXISTS workflow_links_by_workflow ON workflow_links (workflow_id);

CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    username TEXT NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT,
    family TEXT,
    expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_by_family ON tokens (family);

CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
