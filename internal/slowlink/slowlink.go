// Package slowlink is a TCP proxy on loopback that delays what a client sends, as a network
// between an application and its database would: each flight of bytes the client sends after
// the server last answered waits delay before it is passed on. A request–response exchange
// then takes delay more than it would over loopback, and a client that sends several
// statements in one flight (a pipeline) pays it once. For benchmarks that show what round
// trips cost a deployment whose database is not on the same machine; it only ever connects
// to the target it is given.
package slowlink

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/internal/benchgoal"
)

// OtherZone is a delay about what a round trip to a database in another zone of a cloud
// region adds to one on loopback.
const OtherZone = time.Millisecond

// Link is a running proxy.
type Link struct {
	// Addr is the host:port to connect to instead of the target.
	Addr string
	// url is the database URL through the link (Through), for Compare's baseline.
	url string
	// Flights counts the flights clients have sent through the link: about their round
	// trips (a message so large that the server answers its start before the rest arrives
	// counts twice).
	Flights atomic.Int64
}

// Start proxies connections to target (a loopback host:port) with delay added to each of the
// client's flights, until the test or benchmark ends.
func Start(tb testing.TB, target string, delay time.Duration) *Link {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	l := &Link{Addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, s)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				l.pass(c, s, delay)
			}()
		}
	}()
	return l
}

// pass copies between the client c and the server s until either closes, delaying each of
// the client's flights: the first bytes it sends after the server has spoken.
func (l *Link) pass(c, s net.Conn, delay time.Duration) {
	defer c.Close()
	defer s.Close()
	var answered atomic.Bool
	answered.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := s.Read(buf)
			if n > 0 {
				answered.Store(true)
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				c.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if answered.Swap(false) {
				l.Flights.Add(1)
				time.Sleep(delay)
			}
			if _, werr := s.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	s.Close()
	<-done
}

// Through starts a link to the server of the database URL rawURL (a postgres:// URL) and
// returns it with the URL that goes through it.
func Through(tb testing.TB, rawURL string, delay time.Duration) (*Link, string) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		tb.Fatalf("slowlink: %q is not a URL with a host: %v", rawURL, err)
	}
	l := Start(tb, u.Host, delay)
	u.Host = l.Addr
	l.url = u.String()
	return l, l.url
}

// Request is one kind of request a benchmark times over a link: do makes the i-th.
type Request struct {
	Name string
	Do   func(i int)
}

// Compare times each request perRound times a round beside perRound bare round trips over the
// link (a SELECT 1 on a connection of its own to the database of Through), in 3·b.N
// alternating rounds each, and reports on b
// "x-round-trip-<name>", the request's latency in round trips (the median of the rounds'
// ratios), "flights-<name>", the flights sent through the link per request (its round trips,
// waited for or not, and any made meanwhile by background work), and "ms-round-trip", the
// round trip's median latency.
func (l *Link) Compare(b *testing.B, perRound int, requests ...Request) {
	b.Helper()
	if l.url == "" {
		b.Fatal("slowlink: Compare needs a link made by Through")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, l.url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	base := func() float64 {
		return benchgoal.PerOp(perRound, func(int) {
			var one int
			if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		})
	}
	var trips []float64
	for _, r := range requests {
		var flights, calls int64
		rounds := benchgoal.Alternate(3*b.N, base, func() float64 {
			before := l.Flights.Load()
			cost := benchgoal.PerOp(perRound, r.Do)
			flights, calls = flights+l.Flights.Load()-before, calls+int64(perRound)
			return cost
		})
		trips = append(trips, rounds.Baselines()...)
		b.ReportMetric(rounds.CostRatio(), "x-round-trip-"+r.Name)
		b.ReportMetric(float64(flights)/float64(calls), "flights-"+r.Name)
	}
	b.ReportMetric(benchgoal.Median(trips)*1e3, "ms-round-trip")
}
