package scimfilter

import (
	"math/rand/v2"
	"testing"
	"time"
)

// FormatTime writes what time.Format writes with TimeLayout, after truncating to
// TimePrecision, whatever the instant and its zone.
func TestFormatTimeIsTimeLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+1800), time.FixedZone("", -11*3600)}
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 1, 0, 0, 0, 999, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)),
	}
	for range 100000 {
		at := time.Unix(r.Int64N(1<<37)-1<<36, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		times = append(times, at)
	}
	for _, at := range times {
		want := at.UTC().Truncate(TimePrecision).Format(TimeLayout)
		if got := FormatTime(at); got != want {
			t.Fatalf("FormatTime(%v) = %q, want %q", at, got, want)
		}
	}
	if got := FormatTime(time.Time{}); got != "" {
		t.Errorf("the zero time: %q", got)
	}
}

func BenchmarkFormatTime(b *testing.B) {
	at := time.Now()
	b.Run("time.Format", func(b *testing.B) {
		for b.Loop() {
			_ = at.UTC().Truncate(TimePrecision).Format(TimeLayout)
		}
	})
	b.Run("FormatTime", func(b *testing.B) {
		for b.Loop() {
			_ = FormatTime(at)
		}
	})
}
