package postgres_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// BenchmarkCreate32WritersTwoReplicas: the creates of BenchmarkCreate32Writers spread over two
// replicas — two stores with pools of their own and two Services on one schema, as two Roster
// processes behind a load balancer. Reported beside one replica measured in the same run, so
// the ratio says what a second replica adds to write throughput.
func BenchmarkCreate32WritersTwoReplicas(b *testing.B) {
	url := freshSchema(b)
	a, bb := openAt(b, url), openAt(b, url)
	svcA, svcB := directory.New(a), directory.New(bb)
	ctx := context.Background()
	if _, err := svcA.CreateIdP(ctx, "bench", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		b.Fatal(err)
	}
	tok, _, err := svcA.CreateToken(ctx, "bench", directory.TokenSCIM, "okta", "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	actor := directory.SCIMActor{IdP: "okta", TokenID: tok.ID}
	var next int64

	// One replica, a fixed number of creates, as the same-run baseline.
	const baselineN = 400
	parallel := func(n int64, svcs ...*directory.Service) float64 {
		start := time.Now()
		var done int64
		var workers [32]chan struct{}
		for w := range workers {
			workers[w] = make(chan struct{})
			go func() {
				defer close(workers[w])
				svc := svcs[w%len(svcs)]
				for atomic.AddInt64(&done, 1) <= n {
					if _, err := svc.SCIMCreateUser(ctx, actor, benchUser(atomic.AddInt64(&next, 1))); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		for _, w := range workers {
			<-w
		}
		return float64(n) / time.Since(start).Seconds()
	}
	one := parallel(baselineN, svcA)

	b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	var turn, n int64
	b.RunParallel(func(pb *testing.PB) {
		svc := svcA
		if atomic.AddInt64(&turn, 1)%2 == 0 {
			svc = svcB
		}
		for pb.Next() {
			atomic.AddInt64(&n, 1)
			if _, err := svc.SCIMCreateUser(ctx, actor, benchUser(atomic.AddInt64(&next, 1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	two := float64(n) / time.Since(start).Seconds()
	b.ReportMetric(two, "creates/s_2replicas")
	b.ReportMetric(one, "creates/s_1replica")
	b.ReportMetric(two/one, "ratio_2_to_1")
}
