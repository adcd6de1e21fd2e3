package scimfilter

import (
	"slices"
	"testing"
)

func TestMentions(t *testing.T) {
	extra := []string{"idp", "uniqueUserId", "owner"}
	cases := []struct {
		filter string
		want   []string // nil: no guarantee
	}{
		{`userName co "ann"`, []string{"ann"}},
		{`userName eq "Ann@Example.com"`, []string{"Ann@Example.com"}},
		{`displayName sw "An" or emails ew ".org"`, []string{"An", ".org"}},
		{`userName co "a" or displayName co "b" or emails co "c" or uniqueUserId eq "d" or externalId eq "e" or id eq "f"`,
			[]string{"a", "b", "c", "d", "e", "f"}},
		{`userName co "ann" or displayName co "ann" or emails co "Ann" or id eq "ann"`, []string{"ann", "Ann"}},
		{`emails.value co "x" or emails[type eq "work"]`, nil},
		{`name.givenName eq "Ann" and active eq true`, []string{"Ann"}},
		{`active eq true and name.familyName co "Lee"`, []string{"Lee"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D"`, []string{"R&D"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1"`, []string{"m-1"}},
		{`owner eq "jit"`, []string{"jit"}},
		{`title co "x" or active eq false`, nil},
		{`userName pr`, nil},
		{`userName ne "x"`, nil},
		{`userName gt "x"`, nil},
		{`not (userName co "x")`, nil},
		{`userName co ""`, nil},
		{`displayName co "Zoë"`, nil},
		{`displayName co "a\u0000" or userName co "ann"`, nil}, // no stored string holds a NUL, and PostgreSQL refuses one
		{`displayName co "\u212Aelvin"`, nil},                  // the Kelvin sign folds to k
		{`meta.created eq "2024-01-02T03:04:05Z"`, nil},
		{`active eq "true"`, nil},
		{`name co "x"`, nil},
		{`emails.primary eq "true"`, nil},
		{`urn:ietf:params:scim:schemas:core:2.0:User:uniqueUserId eq "x"`, nil}, // extras are named without a schema
		{`urn:example:other:userName eq "x"`, nil},
	}
	for _, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		got, ok := Mentions(e, extra...)
		if ok != (c.want != nil) || !slices.Equal(got, c.want) {
			t.Errorf("Mentions(%s) = %q, %v; want %q", c.filter, got, ok, c.want)
		}
	}
}
