-- 0004: events are numbered after their transaction commits, not while it runs.
--
-- Until schema 3 every writing transaction took the next number from the event_seq row and
-- held its lock until it committed, so writers committed one at a time, on every replica. Now
-- a writer puts its events in event_inbox, in the order of their arrival (a PostgreSQL
-- sequence, which never blocks), and commits without waiting for anybody. A short numbering
-- transaction (numbering.go) then moves every committed event of the inbox into events under
-- the next numbers from event_seq, a transaction's events together, and notifies the other
-- replicas. Numbering transactions take turns under an advisory lock, so numbers still run
-- 1, 2, 3… without a gap, and a reader of events sees the log grow at its end only. Events are
-- written to their table once, numbered, and never updated.
--
-- The events table does not change: events of schema 2 keep their numbers.

CREATE SEQUENCE event_arrival;

CREATE TABLE event_inbox (
    arrival bigint NOT NULL DEFAULT nextval('event_arrival'),
    tx      xid8 NOT NULL DEFAULT pg_current_xact_id(), -- the writing transaction
    time    timestamptz NOT NULL,
    type    text NOT NULL,
    doc     jsonb NOT NULL,
    org     text COLLATE "C" NOT NULL
) WITH (vacuum_truncate = false); -- a truncating vacuum would wait for the writers' locks

-- Writers that collided take turns under this table's lock (store.go); it was event_seq's,
-- which numbering now updates. The table holds no rows.
CREATE TABLE writer_turns ();

-- Organizations, IdPs and tokens change only in transactions that run alone among writers, and
-- each such transaction adds one to this number: a replica may keep what it read of them for
-- as long as the number is the one its transaction reads (settings.go).
CREATE TABLE settings_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    v         bigint NOT NULL
);
INSERT INTO settings_version (singleton, v) VALUES (true, 0);
