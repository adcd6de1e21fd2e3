package postgres

import (
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
)

func orgOf(o directory.Organization, err error) (directory.Organization, error) {
	if err != nil {
		return directory.Organization{}, err
	}
	if o.Domains == nil {
		o.Domains = []directory.Domain{}
	}
	return o, nil
}

// Org reads an organization, from the store's kept settings when the transaction may use them.
func (t *txn) Org(id string) (directory.Organization, error) {
	k := settingsKey{'o', id}
	if e, ok := t.kept(k); ok {
		return e.org.Clone(), nil
	}
	var o directory.Organization
	o, err := orgOf(o, t.getDoc(&o, `SELECT doc FROM orgs WHERE id = $1`, id))
	if err == nil {
		t.keep(k, keptSettings{org: o.Clone()})
	}
	return o, err
}

func (t *txn) Orgs() ([]directory.Organization, error) {
	all, err := docs[directory.Organization](t, `SELECT doc FROM orgs ORDER BY id`)
	for i := range all {
		all[i], _ = orgOf(all[i], nil)
	}
	return all, err
}

func (t *txn) OrgByDomain(domain string) (directory.Organization, error) {
	var o directory.Organization
	return orgOf(o, t.getDoc(&o, `SELECT o.doc FROM org_domains d JOIN orgs o ON o.id = d.org WHERE d.domain = $1`,
		directory.FoldDomain(domain)))
}

// putOrg checks and writes like putUser: a verified domain of another organization is
// reported, not written. The organization's rows in org_domains are replaced by its verified
// domains.
const putOrg = `
WITH clash AS (
	SELECT domain FROM org_domains WHERE domain = ANY ($3::text[]) AND org <> $1 ORDER BY domain LIMIT 1
), put AS (
	INSERT INTO orgs (id, doc) SELECT $1, $2::jsonb WHERE NOT EXISTS (SELECT FROM clash)
	ON CONFLICT (id) DO UPDATE SET doc = excluded.doc
)
SELECT domain FROM clash`

func (t *txn) PutOrg(o directory.Organization) error {
	if err := t.settingsWrite(); err != nil {
		return err
	}
	if o.ID == "" {
		return directory.Invalidf("an organization needs an id")
	}
	o = o.Stored()
	verified := o.VerifiedDomains()
	doc, err := json.Marshal(o)
	if err != nil {
		return err
	}
	var taken string
	err = t.queryRow(putOrg, o.ID, doc, verified).Scan(&taken)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return t.fail(err)
	default:
		return &directory.ConflictError{Field: "domain", Value: taken,
			Msg: "domain " + taken + " is verified by another organization"}
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM org_domains WHERE org = $1 AND NOT (domain = ANY ($2::text[]))`, o.ID, verified)
	// No ON CONFLICT: a domain that a concurrent writer verified for another organization after
	// the check fails the insert, and Update runs the transaction again, which then sees it.
	b.Queue(`INSERT INTO org_domains (domain, org) SELECT d, $1 FROM unnest($2::text[]) AS d
		WHERE NOT EXISTS (SELECT FROM org_domains WHERE domain = d AND org = $1)`, o.ID, verified)
	return t.batch(b)
}

// DeleteOrg removes the organization; its rows in org_domains go with it through the foreign
// key.
func (t *txn) DeleteOrg(id string) error {
	if err := t.settingsWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM orgs WHERE id = $1`, id)
	return err
}
