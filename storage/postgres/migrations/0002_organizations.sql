-- 0002: organizations (R13).
--
-- Everything a database of schema 1 holds becomes organization "default"'s: the org columns
-- are added with that default, which PostgreSQL records without rewriting a row. The JSON
-- documents are left as they were; a document without an org reads as "default"'s, and the
-- event log takes an event's organization from its column. Ids and sequence numbers do not
-- change.

CREATE TABLE orgs (
    id  text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);

-- The verified domains, one row each: a domain verified by one organization cannot be
-- verified by another. Claims not yet verified live only in the organization's document.
CREATE TABLE org_domains (
    domain text COLLATE "C" PRIMARY KEY,
    org    text COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE
);
CREATE INDEX org_domains_org ON org_domains (org);

INSERT INTO orgs (id, doc) VALUES ('default', jsonb_build_object(
    'id', 'default', 'name', 'Default', 'email_domains', 'any', 'domains', '[]'::jsonb,
    'created', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updated', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')));

-- userName is unique per organization (R8, R13); emails are looked up per organization.
ALTER TABLE users ADD COLUMN org text COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE users DROP CONSTRAINT users_user_name_key;
ALTER TABLE users ADD CONSTRAINT users_user_name_key UNIQUE (org, user_name_folded);
CREATE INDEX users_org_id ON users (org, id);

ALTER TABLE groups ADD COLUMN org text COLLATE "C" NOT NULL DEFAULT 'default';
CREATE INDEX groups_org_id ON groups (org, id);

ALTER TABLE tombstones ADD COLUMN org text COLLATE "C" NOT NULL DEFAULT 'default';

ALTER TABLE idps ADD COLUMN org text COLLATE "C" NOT NULL DEFAULT 'default';

-- A SCIM token is its IdP's organization's; an admin token may be of every organization
-- (''), and every admin token of schema 1 is an owner's.
ALTER TABLE tokens ADD COLUMN org text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN role text COLLATE "C" NOT NULL DEFAULT '';
UPDATE tokens SET org = 'default' WHERE kind = 'scim';
UPDATE tokens SET role = 'owner' WHERE kind = 'admin';

-- An event of no organization (an admin credential of every organization) has org ''.
ALTER TABLE events ADD COLUMN org text COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE events ALTER COLUMN org SET DEFAULT '';
CREATE INDEX events_org_seq ON events (org, seq);
