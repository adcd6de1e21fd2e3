package scim

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// wirePieces make strings that need every kind of escaping encoding/json does.
var wirePieces = []string{"a", "Zoë", "ada@example.com", " ", `"`, `\`, "<", ">", "&", "\x00", "\n", "\t", "\x1f",
	"日本", "🙂", "\u2028", "\u2029", "\xff", "\xe2\x80", "$ref"}

func wireString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return ""
	}
	var b []byte
	for range r.IntN(4) + 1 {
		b = append(b, wirePieces[r.IntN(len(wirePieces))]...)
	}
	return string(b)
}

func wireValues(r *rand.Rand) []directory.MultiValue {
	n := r.IntN(3)
	if n == 0 {
		return nil
	}
	vs := make([]directory.MultiValue, n)
	for i := range vs {
		vs[i] = directory.MultiValue{Value: wireString(r), Type: wireString(r), Primary: r.IntN(2) == 0, Display: wireString(r)}
	}
	return vs
}

func wireUser(r *rand.Rand) directory.User {
	s := func() string { return wireString(r) }
	at := time.Unix(r.Int64N(4e9), r.Int64N(1e9))
	u := directory.User{ID: s(), UserName: s(), DisplayName: s(), NickName: s(), ProfileURL: s(), Title: s(), UserType: s(),
		PreferredLanguage: s(), Locale: s(), Timezone: s(), Active: r.IntN(2) == 0, ExternalID: s(),
		Emails: wireValues(r), PhoneNumbers: wireValues(r), Roles: wireValues(r), Entitlements: wireValues(r),
		Meta: directory.Meta{Created: at, LastModified: at.Add(time.Hour), Version: r.Int64N(1000)}}
	if r.IntN(2) == 0 {
		u.Name = directory.Name{Formatted: s(), FamilyName: s(), GivenName: s(), MiddleName: s(), HonorificPrefix: s(), HonorificSuffix: s()}
	}
	if r.IntN(2) == 0 {
		u.Enterprise = directory.Enterprise{EmployeeNumber: s(), CostCenter: s(), Organization: s(), Division: s(), Department: s(),
			ManagerID: s(), ManagerDisplay: s()}
	}
	for range r.IntN(3) {
		u.Addresses = append(u.Addresses, directory.Address{Formatted: s(), StreetAddress: s(), Locality: s(), Region: s(),
			PostalCode: s(), Country: s(), Type: s(), Primary: r.IntN(2) == 0})
	}
	return u
}

// encoded is what json.Encoder wrote for v, as writeJSON did before.
func encoded(t *testing.T, v any) []byte {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func written(v any) []byte {
	rec := httptest.NewRecorder()
	writeBody(rec, v)
	return rec.Body.Bytes()
}

// Users, groups and lists of them are written as json.Encoder wrote them, byte for byte.
func TestWireMatchesEncodingJSON(t *testing.T) {
	h := &Handler{opts: Options{BaseURL: "https://roster.example.com"}}
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 3000 {
		u := wireUser(r)
		var groups []refJSON
		for range r.IntN(3) {
			groups = append(groups, refJSON{Value: wireString(r), Ref: wireString(r), Display: wireString(r), Type: wireString(r)})
		}
		uj := h.userJSONOf(u, groups)
		if r.IntN(4) == 0 {
			uj.Password, uj.Schemas, uj.Active, uj.Meta = wireString(r), nil, nil, nil
		}
		if got, want := written(uj), encoded(t, uj); !bytes.Equal(got, want) {
			t.Fatalf("user %d:\n got %s\nwant %s", i, got, want)
		}

		g := directory.Group{ID: wireString(r), DisplayName: wireString(r), ExternalID: wireString(r), Meta: u.Meta}
		for range r.IntN(4) {
			g.Members = append(g.Members, wireString(r))
		}
		gj := h.groupJSONOf(g)
		if r.IntN(4) == 0 {
			gj.Members = nil
		}
		if got, want := written(gj), encoded(t, gj); !bytes.Equal(got, want) {
			t.Fatalf("group %d:\n got %s\nwant %s", i, got, want)
		}

		resources := []any{uj, gj, project(h.userAttrsOf(u, groups), selection{})}
		l := listJSON{total: r.IntN(100000), startIndex: r.IntN(1000) + 1, resources: resources[:r.IntN(4)]}
		before := map[string]any{"schemas": []string{listResponseURN}, "totalResults": l.total, "startIndex": l.startIndex,
			"itemsPerPage": len(l.resources), "Resources": l.resources}
		if len(l.resources) == 0 {
			l.resources, before["Resources"] = []any{}, []any{}
		}
		if got, want := written(l), encoded(t, before); !bytes.Equal(got, want) {
			t.Fatalf("list %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
