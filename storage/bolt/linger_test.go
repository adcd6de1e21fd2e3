package bolt

import (
	"slices"
	"testing"
	"time"
)

// A linger that gathers nobody is not tried on the next commits, for 1, 2, 4 … 64 of them,
// and one that gathers a returning writer resets that: when every writer already rides in the
// batch (as with 32 clients all waiting), the writer stops delaying each fsync for writers
// that cannot come.
func TestLingerBacksOffWhenNobodyComes(t *testing.T) {
	s := &Store{calls: make(chan *call, 4), lastBatch: 32, lastCommit: 200 * time.Microsecond}
	batch := make([]*call, 32)
	var skipped []int
	for range 8 {
		if got := s.linger(batch); len(got) != 32 {
			t.Fatalf("linger returned %d calls with nobody waiting", len(got))
		}
		skipped = append(skipped, s.lingerSkips)
		for s.lingerSkips > 0 {
			before := time.Now()
			s.linger(batch)
			if d := time.Since(before); d > 50*time.Millisecond {
				t.Fatalf("a skipped linger took %v", d)
			}
		}
	}
	if want := []int{1, 2, 4, 8, 16, 32, 64, 64}; !slices.Equal(skipped, want) {
		t.Errorf("commits skipped after each fruitless linger: %v, want %v", skipped, want)
	}

	// A writer that comes back during the linger joins the batch and ends the backoff.
	s.calls <- &call{}
	if got := s.linger(batch); len(got) != 33 {
		t.Errorf("the returning writer did not join: %d calls", len(got))
	}
	if s.lingerSkips != 0 || s.lingerBackoff != 0 {
		t.Errorf("after a fruitful linger: skips %d, backoff %d; want 0, 0", s.lingerSkips, s.lingerBackoff)
	}
}
