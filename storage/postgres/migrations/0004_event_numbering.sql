-- 0004: events are numbered after their transaction commits, not while it runs.
--
-- Until schema 3 every writing transaction took the next number from the event_seq row and
-- held its lock until it committed, so writers committed one at a time, on every replica. Now
-- a writer stores its events without a number, in the order of their arrival (a PostgreSQL
-- sequence, which never blocks), and commits without waiting for anybody. A short numbering
-- transaction (sequencer.go) then gives every committed, unnumbered event the next numbers
-- from event_seq, in arrival order, and notifies the other replicas. Numbering transactions
-- take turns under an advisory lock, so numbers still run 1, 2, 3… without a gap, and a reader,
-- who reads only numbered events, sees the log grow at its end only.
--
-- Events numbered before this migration keep their numbers and have no arrival; nothing is
-- rewritten.

ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE events ADD CONSTRAINT events_seq_key UNIQUE (seq);

CREATE SEQUENCE event_arrival;
ALTER TABLE events ADD COLUMN arrival bigint;

-- What the sequencer looks for: the events still waiting for their numbers, in arrival order.
CREATE INDEX events_unnumbered ON events (arrival) WHERE seq IS NULL;

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
