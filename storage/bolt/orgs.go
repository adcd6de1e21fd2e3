package bolt

import (
	"encoding/json"
	"errors"

	"github.com/rosterhq/roster/directory"
)

func decodeOrg(raw []byte) (directory.Organization, error) {
	var o directory.Organization
	if err := json.Unmarshal(raw, &o); err != nil {
		return directory.Organization{}, err
	}
	if o.Domains == nil {
		o.Domains = []directory.Domain{}
	}
	return o, nil
}

func (t *txn) Org(id string) (directory.Organization, error) {
	raw := t.tx.Bucket(bOrgs).Get([]byte(id))
	if raw == nil {
		return directory.Organization{}, directory.ErrNotFound
	}
	if t.cache == nil {
		return decodeOrg(raw)
	}
	return t.cache.orgs.get(id, raw, decodeOrg, directory.Organization.Clone)
}

func (t *txn) Orgs() ([]directory.Organization, error) {
	out := []directory.Organization{}
	err := t.tx.Bucket(bOrgs).ForEach(func(_, v []byte) error {
		o, err := decodeOrg(v)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	return out, err
}

func (t *txn) OrgByDomain(domain string) (directory.Organization, error) {
	id := t.tx.Bucket(bOrgByDomain).Get([]byte(directory.FoldDomain(domain)))
	if id == nil {
		return directory.Organization{}, directory.ErrNotFound
	}
	return t.Org(string(id))
}

func (t *txn) PutOrg(o directory.Organization) error {
	if o.ID == "" {
		return directory.Invalidf("an organization needs an id")
	}
	o = o.Stored()
	idx := t.tx.Bucket(bOrgByDomain)
	for _, d := range o.VerifiedDomains() {
		if id := idx.Get([]byte(d)); id != nil && string(id) != o.ID {
			return &directory.ConflictError{Field: "domain", Value: d,
				Msg: "domain " + d + " is verified by another organization"}
		}
	}
	if old, err := t.Org(o.ID); err == nil {
		if err := t.unindexOrg(old); err != nil {
			return err
		}
	} else if !errors.Is(err, directory.ErrNotFound) {
		return err
	}
	if err := t.put(bOrgs, []byte(o.ID), o); err != nil {
		return err
	}
	for _, d := range o.VerifiedDomains() {
		if err := idx.Put([]byte(d), []byte(o.ID)); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) unindexOrg(o directory.Organization) error {
	idx := t.tx.Bucket(bOrgByDomain)
	for _, d := range o.VerifiedDomains() {
		if string(idx.Get([]byte(d))) == o.ID {
			if err := idx.Delete([]byte(d)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *txn) DeleteOrg(id string) error {
	o, err := t.Org(id)
	if errors.Is(err, directory.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := t.unindexOrg(o); err != nil {
		return err
	}
	return t.tx.Bucket(bOrgs).Delete([]byte(id))
}
