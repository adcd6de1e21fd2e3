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

func randomString(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return ""
	}
	var b []byte
	for range r.IntN(6) + 1 {
		b = append(b, pieces[r.IntN(len(pieces))]...)
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
	for i := range 20000 {
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

func BenchmarkEncodeUser(b *testing.B) {
	now := time.Now().UTC()
	u := directory.User{ID: "0b0e8c7e-3f7c-4d0b-9a5e-1c2d3e4f5a6b", UserName: "ada.lovelace@example.com", Active: true,
		Name:   directory.Name{GivenName: "Ada", FamilyName: "Lovelace"},
		Emails: []directory.MultiValue{{Value: "ada.lovelace@example.com", Type: "work", Primary: true}},
		Org:    directory.DefaultOrg, IdP: "okta", UniqueUserID: "00u1abcd", ExternalID: "00u1abcd", Owner: directory.OwnerSCIM,
		Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}
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
