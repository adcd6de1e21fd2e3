package directory

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSessionListEncoding: a user's list of sessions reads back as written — keys of any
// length, times to the nanosecond in UTC, whatever zone they were given in — and a damaged
// one reads as an empty list, never a panic or a made-up session.
func TestSessionListEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zone := time.FixedZone("UTC+5", 5*3600)
	same := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() })
	for n := range 60 {
		var list []userSession
		for i := range n {
			key := fmt.Sprintf("%0*d", r.IntN(300), i)
			created := time.Date(2026, 11, 30, 0, 0, 0, 0, zone).Add(time.Duration(r.Int64N(int64(240 * time.Hour))))
			list = append(list, userSession{Key: key, Created: created, Expires: created.Add(time.Duration(r.Int64N(int64(time.Hour))))})
		}
		raw := encodeSessions(list)
		got, exact := decodeSessions(raw)
		want := make([]userSession, len(list))
		for i, us := range list {
			want[i] = userSession{Key: us.Key, Created: us.Created.UTC(), Expires: us.Expires.UTC()}
		}
		if !exact || !cmp.Equal(got, want, same, cmpopts.EquateEmpty()) {
			t.Fatalf("%d sessions: read back %v (exact %v), want %v", n, got, exact, want)
		}
		// Cut short, it reads as the sessions it still holds whole, or none.
		for cut := 1; cut < len(raw); cut += 1 + r.IntN(7) {
			got, _ := decodeSessions(raw[:cut])
			if len(got) > 0 && !cmp.Equal(got, want[:len(got)], same) {
				t.Fatalf("%d sessions cut at byte %d of %d: read %v", n, cut, len(raw), got)
			}
		}
	}
	for _, damaged := range [][]byte{{sessionListV1, 0xff}, {sessionListV1, 5, 'a'}, {sessionListV1, 0x80, 0x80, 0x80}, {sessionListV1, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'}, []byte("[{"), []byte("garbage")} {
		if got, _ := decodeSessions(damaged); len(got) != 0 {
			t.Errorf("%q read as %v, want no sessions", damaged, got)
		}
	}
}
