package directory_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// pieces are what random strings are made of: plain text, every character encoding/json
// escapes, multi-byte runes, the two separators it escapes, and bytes that are not UTF-8.
var pieces = []string{"a", "Zoë", "user@example.com", " ", "\"", "\\", "/", "<", ">", "&", "\x00", "\x01",
	"\b", "\f", "\n", "\r", "\t", "\x1f", "\x7f", "é", "日本", "🙂", "\u2028", "\u2029", "\ufffd",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "%41", "+"}

// plainPieces are pieces encoding/json writes as they are.
var plainPieces = []string{"a", "Zoë", "user@example.com", " ", "/", "é", "日本", "🙂", "%41", "+", "\x7f", "\ufffd"}

// plain makes fill use plainPieces only: documents with no escape at all.
var plain bool

func randomString(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return ""
	}
	from := pieces
	if plain {
		from = plainPieces
	}
	var b []byte
	for range r.IntN(6) + 1 {
		b = append(b, from[r.IntN(len(from))]...)
	}
	return string(b)
}

var zones = []*time.Location{time.UTC, time.FixedZone("", 0), time.FixedZone("IST", 5*3600+1800),
	time.FixedZone("", -9*3600), time.FixedZone("LMT", 3208), time.FixedZone("", 23*3600+59*60)}

func randomTime(r *rand.Rand) time.Time {
	switch r.IntN(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(r.Int64N(4e9), 0).In(zones[r.IntN(len(zones))])
	default:
		return time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
	}
}

// fill sets every field v holds, recursively, to random values: a field the encoders do not
// know of makes their bytes differ from encoding/json's.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(randomString(r))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(r.Int64N(1<<62) - 1<<61)
	case reflect.Uint64:
		v.SetUint(r.Uint64())
	case reflect.Slice:
		n := r.IntN(4)
		if n == 0 && r.IntN(2) == 0 {
			v.SetZero()
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(r, s.Index(i))
		}
		v.Set(s)
	case reflect.Pointer:
		if r.IntN(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem())
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(randomTime(r)))
			return
		}
		for i := range v.NumField() {
			fill(r, v.Field(i))
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

func TestEncodingMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 / randomCases {
		var u directory.User
		fill(r, reflect.ValueOf(&u).Elem())
		want, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := directory.AppendUserJSON([]byte("prefix"), &u)
		if err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
		if !bytes.Equal(got[len("prefix"):], want) || string(got[:len("prefix")]) != "prefix" {
			t.Fatalf("user %d:\n got %s\nwant %s", i, got, want)
		}

		var e directory.Event
		fill(r, reflect.ValueOf(&e).Elem())
		want, err = json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if got, err = directory.AppendEventJSON(nil, &e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// A time that RFC 3339 cannot hold fails both encodings, with the same error.
func TestEncodingRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -25*3600)),
	} {
		u := directory.User{ID: "u1", UserName: "a", Meta: directory.Meta{Created: at}}
		_, want := json.Marshal(u)
		if want == nil {
			t.Fatalf("encoding/json took %v", at)
		}
		if _, err := directory.AppendUserJSON(nil, &u); err == nil || err.Error() != want.Error() {
			t.Errorf("user created %v: err %v, want %v", at, err, want)
		}
		e := directory.Event{ID: "e1", Time: at}
		_, want = json.Marshal(e)
		if _, err := directory.AppendEventJSON(nil, &e); err == nil || err.Error() != want.Error() {
			t.Errorf("event at %v: err %v, want %v", at, err, want)
		}
	}
}

func benchUser() directory.User {
	now := time.Now().UTC()
	return directory.User{ID: "0b0e8c7e-3f7c-4d0b-9a5e-1c2d3e4f5a6b", UserName: "ada.lovelace@example.com", Active: true,
		Name:   directory.Name{GivenName: "Ada", FamilyName: "Lovelace"},
		Emails: []directory.MultiValue{{Value: "ada.lovelace@example.com", Type: "work", Primary: true}},
		Org:    directory.DefaultOrg, IdP: "okta", UniqueUserID: "00u1abcd", ExternalID: "00u1abcd", Owner: directory.OwnerSCIM,
		Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}
}

func BenchmarkEncodeUser(b *testing.B) {
	u := benchUser()
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendUserJSON", func(b *testing.B) {
		for b.Loop() {
			if _, err := directory.AppendUserJSON(nil, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// forms are the shapes a stored user reaches DecodeUserJSON in: as encoded, with PostgreSQL's
// jsonb spacing, indented, and with its keys in another order.
func forms(t testing.TB, raw []byte) map[string][]byte {
	spaced := bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte(`":`), []byte(`": `)), []byte(`,"`), []byte(`, "`))
	var indented bytes.Buffer
	if err := json.Indent(&indented, raw, " ", "\t"); err != nil {
		t.Fatal(err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		t.Fatal(err)
	}
	sorted, err := json.Marshal(members)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"encoded": raw, "jsonb": spaced, "indented": indented.Bytes(), "sorted": sorted}
}

func TestDecodingMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	defer func() { plain = false }()
	for i := range 5000 / randomCases {
		plain = i%2 == 0
		var u directory.User
		fill(r, reflect.ValueOf(&u).Elem())
		raw, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		for form, doc := range forms(t, raw) {
			var want, got directory.User
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			if err := directory.DecodeUserJSON(doc, &got); err != nil {
				t.Fatalf("user %d, %s: %v\n%s", i, form, err, doc)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("user %d, %s:\n got %+v\nwant %+v\n%s", i, form, got, want, doc)
			}
			// A stored document is read by the fast path, not handed on whole.
			var quick directory.User
			if !directory.DecodeUserFast(doc, &quick) {
				t.Fatalf("user %d, %s: the fast path did not read it:\n%s", i, form, doc)
			}
			if !reflect.DeepEqual(quick, want) {
				t.Fatalf("user %d, %s, fast path:\n got %+v\nwant %+v", i, form, quick, want)
			}
		}

		var e directory.Event
		fill(r, reflect.ValueOf(&e).Elem())
		if raw, err = json.Marshal(e); err != nil {
			t.Fatal(err)
		}
		for form, doc := range forms(t, raw) {
			var want, got, quick directory.Event
			if err := json.Unmarshal(doc, &want); err != nil {
				t.Fatal(err)
			}
			if err := directory.DecodeEventJSON(doc, &got); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("event %d, %s: %v\n got %+v\nwant %+v\n%s", i, form, err, got, want, doc)
			}
			if !directory.DecodeEventFast(doc, &quick) || !reflect.DeepEqual(quick, want) {
				t.Fatalf("event %d, %s: the fast path did not read it as encoding/json does:\n got %+v\nwant %+v\n%s", i, form, quick, want, doc)
			}
		}
	}
}

// FuzzDecodeUserJSON: whatever the bytes, DecodeUserJSON fails when json.Unmarshal does and
// otherwise reads the same user.
func FuzzDecodeUserJSON(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		var u directory.User
		fill(r, reflect.ValueOf(&u).Elem())
		raw, _ := json.Marshal(u)
		for _, doc := range forms(f, raw) {
			f.Add(doc)
		}
	}
	for _, doc := range []string{``, `null`, `{}`, `[]`, `{"id":"a"}x`, `{"id":"a",}`, `{"ID":"a"}`, `{"id":null}`,
		`{"emails":[{"value":"a"}],"emails":[{"type":"w"}]}`, `{"name":{"givenName":"a"},"name":{"familyName":"b"}}`,
		`{"meta":{"version":01}}`, `{"meta":{"version":-0}}`, `{"meta":{"version":1.0}}`, `{"meta":{"version":1e2}}`,
		`{"meta":{"version":9223372036854775808}}`, `{"meta":{"version":--1}}`, `{"meta":{"version":1-1}}`,
		`{"active":truex}`, `{"active":tru}`, `{"active":null}`, `{"emails":null}`, `{"emails":[]}`,
		`{"lastLoginAt":"2026-13-01T00:00:00Z"}`, `{"lastLoginAt":"2026-01-01T00:00:00+24:00"}`,
		"{\"id\":\"\xff\"}", "{\"id\":\"a\x01\"}", `{"id":"\u00e9"}`, ` {"id" : "a" } `, `{"id":"a"`, `{"unknown":1}`} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var want, got directory.User
		wantErr := json.Unmarshal(doc, &want)
		gotErr := directory.DecodeUserJSON(doc, &got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: err %v, encoding/json's %v", doc, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", doc, got, want)
		}
	})
}

// FuzzDecodeEventJSON is FuzzDecodeUserJSON for events.
func FuzzDecodeEventJSON(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		var e directory.Event
		fill(r, reflect.ValueOf(&e).Elem())
		raw, _ := json.Marshal(e)
		for _, doc := range forms(f, raw) {
			f.Add(doc)
		}
	}
	for _, doc := range []string{`{"seq":-1}`, `{"seq":18446744073709551616}`, `{"seq":1,"seq":2}`, `{"user":null}`,
		`{"group":null}`, `{"group":{"members":["a","b"]},"group":{"id":"g"}}`, `{"user":{"id":"a"},"user":{"userName":"b"}}`,
		`{"group":{"id":"a"]}`, `{"group":{"id":"}"}}`, `{"group":5}`, `{"group":{"id":"a"}}}`, `{"changes":["a"],"changes":[]}`,
		`{"partial":true,"warnings":["\u00e9"]}`, `{"group" : { "id" : "a" } , "id":"b"}`, `{"group":{"members":[]}}`} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var want, got directory.Event
		wantErr := json.Unmarshal(doc, &want)
		gotErr := directory.DecodeEventJSON(doc, &got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: err %v, encoding/json's %v", doc, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", doc, got, want)
		}
	})
}

func BenchmarkDecodeUser(b *testing.B) {
	raw, _ := json.Marshal(benchUser())
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var u directory.User
			if err := json.Unmarshal(raw, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeUserJSON", func(b *testing.B) {
		for b.Loop() {
			var u directory.User
			if err := directory.DecodeUserJSON(raw, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeEvent(b *testing.B) {
	u := benchUser()
	raw, _ := json.Marshal(directory.Event{Seq: 42, ID: "0b0e8c7e-3f7c-4d0b-9a5e-1c2d3e4f5a6c", Time: u.Meta.Created, Type: directory.EventUserCreated,
		Actor: "scim:392e6c4d133b402e", Subject: u.ID, Org: u.Org, IdP: u.IdP, Rule: directory.RuleR1, Reason: "SCIM created the user",
		Changes: []string{"userName"}, User: &u})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var e directory.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeEventJSON", func(b *testing.B) {
		for b.Loop() {
			var e directory.Event
			if err := directory.DecodeEventJSON(raw, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
