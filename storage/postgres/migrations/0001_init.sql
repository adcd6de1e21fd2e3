-- 0001: the directory's tables.
--
-- Key columns use COLLATE "C" so that ids, userNames and KV keys sort and compare by bytes,
-- exactly as in the bbolt store: scans page in the same order on both backends whatever the
-- database's default collation. Folding (userName, email, group displayName) is done by Roster
-- in Go, never by lower(), whose result depends on the collation.

-- Users: the whole record as a JSON document, plus the columns the indexes need.
-- unique_user_id is NULL for a user without an identity, so such users never collide.
CREATE TABLE users (
    id               text COLLATE "C" PRIMARY KEY,
    user_name_folded text COLLATE "C" NOT NULL,
    idp              text COLLATE "C" NOT NULL,
    unique_user_id   text COLLATE "C",
    external_id      text COLLATE "C",
    emails           text[] COLLATE "C" NOT NULL,
    doc              jsonb NOT NULL,
    CONSTRAINT users_user_name_key UNIQUE (user_name_folded),   -- R8
    CONSTRAINT users_identity_key UNIQUE (idp, unique_user_id)  -- R7
);
CREATE INDEX users_idp_id ON users (idp, id);
CREATE INDEX users_external_id ON users (idp, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_emails ON users USING gin (emails);

-- Groups: members live in group_members (not in the document), so that the foreign keys keep
-- membership consistent with users in both directions.
CREATE TABLE groups (
    id                  text COLLATE "C" PRIMARY KEY,
    idp                 text COLLATE "C" NOT NULL,
    display_name_folded text COLLATE "C" NOT NULL,
    doc                 jsonb NOT NULL,
    CONSTRAINT groups_display_name_key UNIQUE (idp, display_name_folded)
);
CREATE INDEX groups_idp_id ON groups (idp, id);

CREATE TABLE group_members (
    group_id text COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pos      integer NOT NULL, -- the member's place in the group's list, which SCIM returns as sent
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE tombstones (
    idp            text COLLATE "C" NOT NULL,
    unique_user_id text COLLATE "C" NOT NULL,
    doc            jsonb NOT NULL,
    PRIMARY KEY (idp, unique_user_id)
);

CREATE TABLE idps (
    id  text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE tokens (
    id   text COLLATE "C" PRIMARY KEY,
    kind text COLLATE "C" NOT NULL,
    idp  text COLLATE "C" NOT NULL,
    hash bytea NOT NULL,
    doc  jsonb NOT NULL,
    CONSTRAINT tokens_hash_key UNIQUE (hash)
);
CREATE INDEX tokens_kind_idp ON tokens (kind, idp, id);

-- The event sequence is one counter row updated inside the writing transaction. A PostgreSQL
-- sequence would leave holes when a transaction rolls back, and would let a later sequence
-- number commit before an earlier one; the row lock makes events commit in sequence order.
CREATE TABLE event_seq (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    seq       bigint NOT NULL
);
INSERT INTO event_seq (singleton, seq) VALUES (true, 0);

CREATE TABLE events (
    seq  bigint PRIMARY KEY,
    time timestamptz NOT NULL,
    type text NOT NULL,
    doc  jsonb NOT NULL
);

-- The small key-value space: sessions, login state, the SAML replay cache, settings.
-- Expiry is Unix nanoseconds (NULL: never), so that it compares exactly as in the bbolt store.
CREATE TABLE kv (
    ns              text COLLATE "C" NOT NULL,
    key             text COLLATE "C" NOT NULL,
    value           bytea NOT NULL,
    expires_unix_ns bigint,
    PRIMARY KEY (ns, key)
);
CREATE INDEX kv_expiry ON kv (expires_unix_ns) WHERE expires_unix_ns IS NOT NULL;
