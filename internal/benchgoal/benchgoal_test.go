package benchgoal

import (
	"testing"
	"time"
)

func TestAlternateAndRatios(t *testing.T) {
	var order []string
	base := []float64{1, 2, 4}
	subj := []float64{2, 5, 4}
	i, j := 0, 0
	rs := Alternate(3,
		func() float64 { order = append(order, "b"); i++; return base[i-1] },
		func() float64 { order = append(order, "s"); j++; return subj[j-1] })
	if got := string([]byte{order[0][0], order[1][0], order[2][0], order[3][0], order[4][0], order[5][0]}); got != "bssbbs" {
		t.Errorf("order %s, want bssbbs (alternating which side goes first)", got)
	}
	// Ratios 2, 2.5, 1: the median is 2.
	if r := rs.CostRatio(); r != 2 {
		t.Errorf("CostRatio = %v, want 2", r)
	}
	if r := rs.RateRatio(); r != 0.5 {
		t.Errorf("RateRatio = %v, want 0.5", r)
	}
}

func TestMedianAndQuantile(t *testing.T) {
	if m := Median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("Median = %v, want 2.5", m)
	}
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(101-i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := Quantile(ds, q); got != want {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}
