//! Versioned schema migrations, applied in order at open inside one transaction each. A database
//! newer than the build is refused rather than guessed at. Every table is keyed by tenant first.

/// The SQLite migrations; index `i` brings the schema to version `i + 1`.
pub const SQLITE: &[&str] = &[
    r#"
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE principals (
    tenant      TEXT NOT NULL REFERENCES tenants(id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
) STRICT;

-- Service tokens are stored as SHA-256 of the token (256 random bits): never the token.
CREATE TABLE service_tokens (
    token_hash  BLOB PRIMARY KEY,
    tenant      TEXT NOT NULL,
    principal   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER,
    FOREIGN KEY (tenant, principal) REFERENCES principals(tenant, id)
) STRICT;

CREATE TABLE conversations (
    tenant        TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    customer_ref  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    n_turns       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
) STRICT;
CREATE INDEX conversations_by_customer ON conversations (tenant, customer_ref);

CREATE TABLE turns (
    tenant        TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    id            TEXT NOT NULL,
    speaker       TEXT NOT NULL,
    redacted      TEXT NOT NULL,
    findings      TEXT NOT NULL,
    sealed        BLOB NOT NULL,
    started_at    INTEGER,
    ended_at      INTEGER,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant, conversation, seq),
    FOREIGN KEY (tenant, conversation) REFERENCES conversations(tenant, id)
) STRICT;

CREATE TABLE tokens (
    tenant        TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    entity        TEXT NOT NULL,
    label         TEXT NOT NULL,
    blind_index   BLOB,
    sealed        BLOB,
    turn_seq      INTEGER NOT NULL,
    PRIMARY KEY (tenant, token_id),
    FOREIGN KEY (tenant, conversation) REFERENCES conversations(tenant, id)
) STRICT;
CREATE INDEX tokens_by_conversation ON tokens (tenant, conversation);
CREATE INDEX tokens_by_blind_index ON tokens (tenant, blind_index);

-- The vault's key table (callvault_vault::KeyTable), apart from the data it protects.
CREATE TABLE tenant_keys (
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    PRIMARY KEY (tenant, kind, version)
) STRICT;

CREATE TABLE data_keys (
    tenant      TEXT NOT NULL,
    customer    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    wrapped_by  INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('active', 'destroyed')),
    wrapped     BLOB NOT NULL,
    PRIMARY KEY (tenant, customer, version)
) STRICT;
CREATE INDEX data_keys_by_wrapping ON data_keys (tenant, wrapped_by) WHERE state = 'active';
"#,
    r#"
-- Version 2: retention per tenant, legal hold per conversation.
ALTER TABLE conversations ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_by_age ON conversations (tenant, created_at);
CREATE TABLE retention (
    tenant  TEXT PRIMARY KEY REFERENCES tenants(id),
    days    INTEGER NOT NULL CHECK (days > 0)
) STRICT;
"#,
    r#"
-- Version 3: the audit log. Entries are the Merkle leaves exactly as hashed (`entry`), with
-- a few fields copied out for auditors' filters; `audit_nodes` keeps every complete subtree's
-- hash above the leaves, so proofs cost O(log n) lookups; `audit_head` is the append state
-- (size and the hashes of the tree's complete subtrees), one row, updated in the same
-- transaction as the entries; `audit_checkpoints` keeps every signed checkpoint.
CREATE TABLE audit_entries (
    seq        INTEGER PRIMARY KEY,
    time_ms    INTEGER NOT NULL,
    tenant     TEXT NOT NULL,
    principal  TEXT NOT NULL,
    action     TEXT NOT NULL,
    leaf_hash  BLOB NOT NULL,
    entry      BLOB NOT NULL
) STRICT;
CREATE INDEX audit_by_tenant_time ON audit_entries (tenant, time_ms);
CREATE TABLE audit_nodes (
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      INTEGER NOT NULL,
    frontier  BLOB NOT NULL
) STRICT;
INSERT INTO audit_head (id, size, frontier) VALUES (1, 0, X'');
CREATE TABLE audit_checkpoints (
    size        INTEGER PRIMARY KEY,
    note        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  BLOB NOT NULL
) STRICT;
"#,
    r#"
-- Version 4: people and permissions. Principals are people (password, TOTP, sessions) or
-- services (tokens with scopes); sessions are stored as hashes; recovery codes as hashes;
-- approvals for dual control; alerts for security officers.
ALTER TABLE principals ADD COLUMN kind TEXT NOT NULL DEFAULT 'service';
ALTER TABLE principals ADD COLUMN disabled_at INTEGER;
ALTER TABLE principals ADD COLUMN password_hash TEXT;
ALTER TABLE principals ADD COLUMN totp_sealed BLOB;
ALTER TABLE principals ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN locked_until INTEGER;
ALTER TABLE service_tokens ADD COLUMN scopes TEXT;
CREATE TABLE recovery_codes (
    tenant     TEXT NOT NULL,
    principal  TEXT NOT NULL,
    code_hash  BLOB NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (tenant, principal, code_hash)
) STRICT;
CREATE TABLE sessions (
    token_hash      BLOB PRIMARY KEY,
    tenant          TEXT NOT NULL,
    principal       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    idle_ms         INTEGER NOT NULL,
    source          TEXT,
    revoked_at      INTEGER,
    elevated_until  INTEGER
) STRICT;
CREATE INDEX sessions_by_principal ON sessions (tenant, principal);
CREATE TABLE approvals (
    tenant       TEXT NOT NULL,
    id           TEXT NOT NULL,
    requester    TEXT NOT NULL,
    action       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    approved_by  TEXT,
    approved_at  INTEGER,
    used_at      INTEGER,
    PRIMARY KEY (tenant, id)
) STRICT;
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    principal   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX alerts_by_tenant ON alerts (tenant, id);
"#,
    r#"
-- Version 5: who started a conversation.
ALTER TABLE conversations ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
"#,
    r#"
-- Version 6: a conversation's turn count is read from its turns (the last sequence number plus
-- one) instead of being kept in its row: the row is not rewritten by every batch of turns.
ALTER TABLE conversations DROP COLUMN n_turns;
"#,
    r#"
-- Version 7: a conversation's tokens are found through its turns. Each turn lists the ids of
-- the tokens it introduced (`token_ids`, a JSON array); tokens met outside a turn (the privacy
-- proxy) are marked `in_turn = 0` and only they are indexed by conversation. Inserting a token
-- then costs no random-key index page for its conversation. The table is rebuilt without its
-- foreign key to conversations, which would need that index to check a conversation's deletion
-- (purges delete a conversation's tokens first, in the same transaction).
CREATE TABLE tokens_v7 (
    tenant        TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    entity        TEXT NOT NULL,
    label         TEXT NOT NULL,
    blind_index   BLOB,
    sealed        BLOB,
    turn_seq      INTEGER NOT NULL,
    in_turn       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, token_id)
) STRICT;
INSERT INTO tokens_v7 (tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq)
    SELECT tenant, conversation, token_id, entity, label, blind_index, sealed, turn_seq FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v7 RENAME TO tokens;
CREATE INDEX tokens_by_blind_index ON tokens (tenant, blind_index);
CREATE INDEX tokens_outside_turns ON tokens (tenant, conversation) WHERE in_turn = 0;
ALTER TABLE turns ADD COLUMN token_ids TEXT NOT NULL DEFAULT '[]';
"#,
    r#"
-- Version 8: the audit log's subtree hashes are keyed by their node's position in the tree
-- read in order, `((2 * idx + 1) << level) - 1`, instead of by (level, idx). The nodes a batch
-- of entries completes then sit next to each other at the end of the table (by (level, idx)
-- each level had its own end: about eight pages written per batch instead of one or two).
CREATE TABLE audit_nodes_v8 (
    pos   INTEGER PRIMARY KEY,
    hash  BLOB NOT NULL
) STRICT;
INSERT INTO audit_nodes_v8 (pos, hash) SELECT ((2 * idx + 1) << level) - 1, hash FROM audit_nodes;
DROP TABLE audit_nodes;
ALTER TABLE audit_nodes_v8 RENAME TO audit_nodes;
"#,
    r#"
-- Version 9: when a conversation's customer was erased. An erased conversation keeps its
-- redacted turns (its originals and tokens are unreadable) and takes no new turn or token: the
-- triggers refuse them even from a server whose memory still holds the conversation.
ALTER TABLE conversations ADD COLUMN erased_at INTEGER;
CREATE TRIGGER turns_not_after_erasure BEFORE INSERT ON turns
WHEN (SELECT erased_at FROM conversations WHERE tenant = NEW.tenant AND id = NEW.conversation) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'conversation erased'); END;
CREATE TRIGGER tokens_not_after_erasure BEFORE INSERT ON tokens
WHEN (SELECT erased_at FROM conversations WHERE tenant = NEW.tenant AND id = NEW.conversation) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'conversation erased'); END;
"#,
];

/// The PostgreSQL migrations, the same schema in PostgreSQL's types; index `i` brings the
/// schema to version `i + 1` (recorded in `callvault_schema`).
pub const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE principals (
    tenant      TEXT NOT NULL REFERENCES tenants(id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE service_tokens (
    token_hash  BYTEA PRIMARY KEY,
    tenant      TEXT NOT NULL,
    principal   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT,
    FOREIGN KEY (tenant, principal) REFERENCES principals(tenant, id)
);

CREATE TABLE conversations (
    tenant        TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    customer_ref  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    n_turns       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX conversations_by_customer ON conversations (tenant, customer_ref);

CREATE TABLE turns (
    tenant        TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    id            TEXT NOT NULL,
    speaker       TEXT NOT NULL,
    redacted      TEXT NOT NULL,
    findings      TEXT NOT NULL,
    sealed        BYTEA NOT NULL,
    started_at    BIGINT,
    ended_at      BIGINT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant, conversation, seq),
    FOREIGN KEY (tenant, conversation) REFERENCES conversations(tenant, id)
);

CREATE TABLE tokens (
    tenant        TEXT NOT NULL,
    conversation  TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    entity        TEXT NOT NULL,
    label         TEXT NOT NULL,
    blind_index   BYTEA,
    sealed        BYTEA,
    turn_seq      BIGINT NOT NULL,
    PRIMARY KEY (tenant, token_id),
    FOREIGN KEY (tenant, conversation) REFERENCES conversations(tenant, id)
);
CREATE INDEX tokens_by_conversation ON tokens (tenant, conversation);
CREATE INDEX tokens_by_blind_index ON tokens (tenant, blind_index);

CREATE TABLE tenant_keys (
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL,
    PRIMARY KEY (tenant, kind, version)
);

CREATE TABLE data_keys (
    tenant      TEXT NOT NULL,
    customer    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    wrapped_by  BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('active', 'destroyed')),
    wrapped     BYTEA NOT NULL,
    PRIMARY KEY (tenant, customer, version)
);
CREATE INDEX data_keys_by_wrapping ON data_keys (tenant, wrapped_by) WHERE state = 'active';
"#,
    r#"
-- Version 2: retention per tenant, legal hold per conversation.
ALTER TABLE conversations ADD COLUMN legal_hold BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX conversations_by_age ON conversations (tenant, created_at);
CREATE TABLE retention (
    tenant  TEXT PRIMARY KEY REFERENCES tenants(id),
    days    BIGINT NOT NULL CHECK (days > 0)
);
"#,
    r#"
-- Version 3: the audit log (see the SQLite migration for what each table is).
CREATE TABLE audit_entries (
    seq        BIGINT PRIMARY KEY,
    time_ms    BIGINT NOT NULL,
    tenant     TEXT NOT NULL,
    principal  TEXT NOT NULL,
    action     TEXT NOT NULL,
    leaf_hash  BYTEA NOT NULL,
    entry      BYTEA NOT NULL
);
CREATE INDEX audit_by_tenant_time ON audit_entries (tenant, time_ms);
CREATE TABLE audit_nodes (
    level  INTEGER NOT NULL,
    idx    BIGINT NOT NULL,
    hash   BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      BIGINT NOT NULL,
    frontier  BYTEA NOT NULL
);
INSERT INTO audit_head (id, size, frontier) VALUES (1, 0, ''::bytea);
CREATE TABLE audit_checkpoints (
    size        BIGINT PRIMARY KEY,
    note        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  BYTEA NOT NULL
);
"#,
    r#"
-- Version 4: people and permissions (see the SQLite migration).
ALTER TABLE principals ADD COLUMN kind TEXT NOT NULL DEFAULT 'service';
ALTER TABLE principals ADD COLUMN disabled_at BIGINT;
ALTER TABLE principals ADD COLUMN password_hash TEXT;
ALTER TABLE principals ADD COLUMN totp_sealed BYTEA;
ALTER TABLE principals ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE principals ADD COLUMN locked_until BIGINT;
ALTER TABLE service_tokens ADD COLUMN scopes TEXT;
CREATE TABLE recovery_codes (
    tenant     TEXT NOT NULL,
    principal  TEXT NOT NULL,
    code_hash  BYTEA NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (tenant, principal, code_hash)
);
CREATE TABLE sessions (
    token_hash      BYTEA PRIMARY KEY,
    tenant          TEXT NOT NULL,
    principal       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    idle_ms         BIGINT NOT NULL,
    source          TEXT,
    revoked_at      BIGINT,
    elevated_until  BIGINT
);
CREATE INDEX sessions_by_principal ON sessions (tenant, principal);
CREATE TABLE approvals (
    tenant       TEXT NOT NULL,
    id           TEXT NOT NULL,
    requester    TEXT NOT NULL,
    action       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    approved_by  TEXT,
    approved_at  BIGINT,
    used_at      BIGINT,
    PRIMARY KEY (tenant, id)
);
CREATE TABLE alerts (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    principal   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX alerts_by_tenant ON alerts (tenant, id);
"#,
    r#"
-- Version 5: who started a conversation.
ALTER TABLE conversations ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
"#,
    r#"
-- Version 6: a conversation's turn count is read from its turns (the last sequence number plus
-- one) instead of being kept in its row: the row is not rewritten by every batch of turns.
ALTER TABLE conversations DROP COLUMN n_turns;
"#,
    r#"
-- Version 7: a conversation's tokens are found through its turns (see the SQLite migration).
ALTER TABLE tokens ADD COLUMN in_turn BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tokens DROP CONSTRAINT tokens_tenant_conversation_fkey;
DROP INDEX tokens_by_conversation;
CREATE INDEX tokens_outside_turns ON tokens (tenant, conversation) WHERE NOT in_turn;
ALTER TABLE turns ADD COLUMN token_ids TEXT NOT NULL DEFAULT '[]';
"#,
    r#"
-- Version 8: audit nodes keyed by their in-order position (see the SQLite migration).
CREATE TABLE audit_nodes_v8 (
    pos   BIGINT PRIMARY KEY,
    hash  BYTEA NOT NULL
);
INSERT INTO audit_nodes_v8 (pos, hash) SELECT ((2 * idx + 1) << level) - 1, hash FROM audit_nodes;
DROP TABLE audit_nodes;
ALTER TABLE audit_nodes_v8 RENAME TO audit_nodes;
"#,
    r#"
-- Version 9: when a conversation's customer was erased (see the SQLite migration). The
-- trigger reads committed rows: a batch racing an erasure that has not committed yet gets in,
-- and its tokens may keep their blind index (a second erasure unlinks them).
ALTER TABLE conversations ADD COLUMN erased_at BIGINT;
CREATE FUNCTION callvault_not_after_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM conversations WHERE tenant = NEW.tenant AND id = NEW.conversation
               AND erased_at IS NOT NULL) THEN
        RAISE EXCEPTION 'conversation erased';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER turns_not_after_erasure BEFORE INSERT ON turns
    FOR EACH ROW EXECUTE FUNCTION callvault_not_after_erasure();
CREATE TRIGGER tokens_not_after_erasure BEFORE INSERT ON tokens
    FOR EACH ROW EXECUTE FUNCTION callvault_not_after_erasure();
"#,
];
