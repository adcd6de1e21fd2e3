package benchgoal

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Round is one round's measurement of the baseline and of the subject, in the unit their
// functions return (a cost, such as seconds per operation or a quantile of latencies).
type Round struct {
	Baseline, Subject float64
}

// Ratio is the subject's figure over the baseline's.
func (r Round) Ratio() float64 { return r.Subject / r.Baseline }

// Rounds are the rounds of one comparison.
type Rounds []Round

// Alternate measures baseline and subject n times each, alternating which goes first. It
// settles first: what earlier benchmarks of the process left behind — garbage to collect,
// dirty pages the kernel is still writing back (a 100,000-user import, say) — would otherwise
// weigh on the first rounds of both sides, and on the side whose fsyncs meet it most.
func Alternate(n int, baseline, subject func() float64) Rounds {
	Settle()
	out := make(Rounds, 0, n)
	for i := range n {
		var r Round
		if i%2 == 0 {
			r.Baseline = baseline()
			r.Subject = subject()
		} else {
			r.Subject = subject()
			r.Baseline = baseline()
		}
		out = append(out, r)
	}
	return out
}

// Settle collects the garbage and has the kernel write every dirty page back.
func Settle() {
	runtime.GC()
	syscall.Sync()
}

// CostRatio is the median of the rounds' subject-to-baseline ratios: how many times the
// baseline's cost the subject costs.
func (rs Rounds) CostRatio() float64 {
	ratios := make([]float64, len(rs))
	for i, r := range rs {
		ratios[i] = r.Ratio()
	}
	return Median(ratios)
}

// RateRatio is the reciprocal of CostRatio for costs measured as time per operation: the
// subject's rate as a share of the baseline's.
func (rs Rounds) RateRatio() float64 { return 1 / rs.CostRatio() }

// Baselines and Subjects are the rounds' measurements of each side.
func (rs Rounds) Baselines() []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.Baseline
	}
	return out
}

func (rs Rounds) Subjects() []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.Subject
	}
	return out
}

// Median is the median of xs (the mean of the middle two for an even count).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Quantile is the q-quantile (0 ≤ q ≤ 1) of ds by the nearest-rank method.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// PerOp runs op n times and returns the mean seconds per call.
func PerOp(n int, op func(i int)) float64 {
	start := time.Now()
	for i := range n {
		op(i)
	}
	return time.Since(start).Seconds() / float64(n)
}

// OnClients runs op(0) … op(n-1) over clients goroutines, each taking the next index, and
// returns the mean seconds per operation: the cost side of a rate with clients concurrent
// callers.
func OnClients(clients, n int, op func(i int)) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				op(i)
			}
		})
	}
	wg.Wait()
	return time.Since(start).Seconds() / float64(n)
}

// ReportRates reports the median rate of each side, per second, under subjectUnit and
// baselineUnit, for rounds whose measurements are seconds per operation.
func (rs Rounds) ReportRates(b *testing.B, subjectUnit, baselineUnit string) {
	b.ReportMetric(1/Median(rs.Subjects()), subjectUnit)
	b.ReportMetric(1/Median(rs.Baselines()), baselineUnit)
}
