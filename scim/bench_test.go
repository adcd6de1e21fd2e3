package scim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/bolt"
)

// The benchmarks run the SCIM surface over real HTTP on a real bbolt file and report each
// figure beside the raw store operation measured in the same run (ratio metrics), so that the
// numbers say what the SCIM layer costs rather than how fast this machine is.
//
// Each iteration of a latency or throughput benchmark takes many samples (samplesPerOp), so
// that a run with few iterations still has percentiles worth reading and the whole run stays
// within a few minutes:
//
//	go test ./scim -run '^$' -bench . -benchtime 3x

// fixture is a seeded store with a SCIM server in front of it.
type fixture struct {
	n     int
	dir   string
	store *bolt.Store
	svc   *directory.Service
	srv   *httptest.Server
	token string
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[int]*fixture{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range fixtures {
		f.srv.Close()
		f.store.Close()
		os.RemoveAll(f.dir)
	}
	os.Exit(code)
}

func seededUser(i int) directory.User {
	name := fmt.Sprintf("user%06d@example.com", i)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return directory.User{
		ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), UserName: name, Active: true,
		Name:       directory.Name{GivenName: "Given", FamilyName: fmt.Sprint("Family", i)},
		Emails:     []directory.MultiValue{{Value: name, Type: "work", Primary: true}},
		ExternalID: fmt.Sprintf("ext-%06d", i), IdP: "okta", UniqueUserID: fmt.Sprintf("ext-%06d", i),
		Owner: directory.OwnerSCIM, Meta: directory.Meta{Created: now, LastModified: now, Version: 1},
	}
}

// seed returns a fixture of n users, seeded straight into the store in large transactions and
// shared between benchmarks of one run.
func seed(b *testing.B, n int) *fixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[n]; f != nil {
		return f
	}
	dir, err := os.MkdirTemp("", "roster-scim-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(dir, "roster.db"))
	if err != nil {
		b.Fatal(err)
	}
	svc := directory.New(st)
	ctx := context.Background()
	if _, err := svc.CreateIdP(ctx, "bench", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeBoth}); err != nil {
		b.Fatal(err)
	}
	_, token, err := svc.CreateToken(ctx, "bench", directory.TokenSCIM, "okta", "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	for start := 0; start < n; start += batch {
		if err := st.UpdateUnbatched(ctx, func(tx directory.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				if err := tx.PutUser(seededUser(i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(svc, Options{BaseURL: "http://bench", Logger: slog.New(slog.DiscardHandler)}))
	f := &fixture{n: n, dir: dir, store: st, svc: svc, srv: srv, token: token}
	fixtures[n] = f
	return f
}

// samplesPerOp is how many requests one benchmark iteration makes.
const samplesPerOp = 200

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func (f *fixture) call(b *testing.B, method, path, body string, want int) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+f.token)
	res, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
}

// latencies collects per-operation durations and reports percentiles.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

func reportLatency(b *testing.B, prefix string, l latencies) {
	b.ReportMetric(float64(l.pct(0.50).Microseconds()), prefix+"p50-µs")
	b.ReportMetric(float64(l.pct(0.99).Microseconds()), prefix+"p99-µs")
}

// lookupBench measures GET /Users?filter=<attr> eq "…" and, in the same run, the raw index
// lookup, reporting both latencies and their ratio.
func lookupBench(b *testing.B, f *fixture, filterFor func(i int) string, raw func(tx directory.ReadTx, i int) error) {
	n := b.N * samplesPerOp
	rawLat := make(latencies, 0, n)
	for i := range n {
		k := (i * 7919) % f.n
		start := time.Now()
		if err := f.svc.View(context.Background(), func(tx directory.ReadTx) error { return raw(tx, k) }); err != nil {
			b.Fatal(err)
		}
		rawLat = append(rawLat, time.Since(start))
	}
	lat := make(latencies, 0, n)
	b.ResetTimer()
	for i := range n {
		k := (i * 7919) % f.n
		start := time.Now()
		f.call(b, "GET", "/scim/v2/Users?filter="+url.QueryEscape(filterFor(k)), "", 200)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, "", lat)
	reportLatency(b, "raw-", rawLat)
	b.ReportMetric(float64(lat.pct(0.5))/float64(max(rawLat.pct(0.5), 1)), "p50-x-raw")
}

func byUserName(i int) string   { return fmt.Sprintf(`userName eq "USER%06d@example.com"`, i) }
func byExternalID(i int) string { return fmt.Sprintf(`externalId eq "ext-%06d"`, i) }

func BenchmarkGetUserByUserName(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint("users=", n), func(b *testing.B) {
			f := seed(b, n)
			lookupBench(b, f, byUserName, func(tx directory.ReadTx, i int) error {
				_, err := tx.UserByUserName(directory.DefaultOrg, fmt.Sprintf("user%06d@example.com", i))
				return err
			})
		})
	}
}

func BenchmarkGetUserByExternalID(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint("users=", n), func(b *testing.B) {
			f := seed(b, n)
			lookupBench(b, f, byExternalID, func(tx directory.ReadTx, i int) error {
				_, err := tx.UsersByExternalID("okta", fmt.Sprintf("ext-%06d", i))
				return err
			})
		})
	}
}

// BenchmarkIndexedLookupScaling measures the userName lookup at 1k and 100k users in the same
// run and reports the ratio of their medians: about 1 means the lookup does not grow with
// the number of users.
func BenchmarkIndexedLookupScaling(b *testing.B) {
	small, large := seed(b, 1_000), seed(b, 100_000)
	measure := func(f *fixture) latencies {
		l := make(latencies, 0, b.N*samplesPerOp)
		for i := range b.N * samplesPerOp {
			start := time.Now()
			f.call(b, "GET", "/scim/v2/Users?filter="+url.QueryEscape(byUserName((i*7919)%f.n)), "", 200)
			l = append(l, time.Since(start))
		}
		return l
	}
	b.ResetTimer()
	ls, ll := measure(small), measure(large)
	b.StopTimer()
	reportLatency(b, "1k-", ls)
	reportLatency(b, "100k-", ll)
	b.ReportMetric(float64(ll.pct(0.5))/float64(ls.pct(0.5)), "p50-100k/1k")
}

// rawScanPage reads the users at positions [skip, skip+count) of the IdP's id order straight
// from the store: the raw cost of a startIndex page.
func rawScanPage(b *testing.B, f *fixture, skip, count int) {
	err := f.svc.View(context.Background(), func(tx directory.ReadTx) error {
		seen := 0
		return tx.ScanUsers(directory.ScanQuery{IdP: "okta"}, func(u directory.User) error {
			seen++
			if seen >= skip+count {
				return directory.ErrStopScan
			}
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
}

var touches atomic.Int64

// touch changes one user through the Service, which appends an event and so makes every
// remembered page position stale. Each call writes a new title, so it is never a no-op.
func touch(b *testing.B, f *fixture) {
	n := touches.Add(1)
	_, err := f.svc.SCIMUpdateUser(context.Background(), directory.SCIMActor{IdP: "okta", TokenID: "bench"}, seededUser(0).ID, 0,
		func(u directory.User) (directory.User, error) {
			u.Title = fmt.Sprint("touch-", n)
			return u, nil
		})
	if err != nil {
		b.Fatal(err)
	}
}

// rawScanRuns is how often a benchmark measures a full-scan baseline: scans take seconds, so
// their count does not follow b.N.
const rawScanRuns = 3

// rawScanTime is the mean time of the raw scan reading positions [skip, skip+count).
func rawScanTime(b *testing.B, f *fixture, skip, count int) time.Duration {
	start := time.Now()
	for range rawScanRuns {
		rawScanPage(b, f, skip, count)
	}
	return time.Since(start) / rawScanRuns
}

// BenchmarkPageDeepCold measures GET /Users?startIndex=90001&count=100 at 100k users when no
// position is remembered (a write came before each request), beside the raw scan that reads
// the same page. The store has no way to skip users without decoding them, so both are a
// scan of 90k users.
func BenchmarkPageDeepCold(b *testing.B) {
	f := seed(b, 100_000)
	raw := rawScanTime(b, f, 90000, 100)
	lat := make(latencies, 0, b.N)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		touch(b, f)
		b.StartTimer()
		start := time.Now()
		f.call(b, "GET", "/scim/v2/Users?startIndex=90001&count=100", "", 200)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, "", lat)
	b.ReportMetric(float64(raw.Microseconds()), "raw-scan-µs")
	b.ReportMetric(float64(lat.pct(0.5))/float64(raw), "p50-x-raw")
}

// BenchmarkPageDeepWarm is the same request when the client pages in order, as Okta's import
// does, or repeats it: the scan resumes at the remembered position.
func BenchmarkPageDeepWarm(b *testing.B) {
	f := seed(b, 100_000)
	raw := rawScanTime(b, f, 90000, 100)
	f.call(b, "GET", "/scim/v2/Users?startIndex=90001&count=100", "", 200)
	lat := make(latencies, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		f.call(b, "GET", "/scim/v2/Users?startIndex=90001&count=100", "", 200)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, "", lat)
	b.ReportMetric(float64(raw.Microseconds()), "raw-scan-µs")
	b.ReportMetric(float64(lat.pct(0.5))/float64(raw), "p50-x-raw")
}

// BenchmarkImportAll pages through all 100k users with count=1000, as an IdP import does, and
// reports the time of the whole import beside one raw scan of all users.
func BenchmarkImportAll(b *testing.B) {
	f := seed(b, 100_000)
	raw := rawScanTime(b, f, 0, f.n)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		b.StopTimer()
		touch(b, f) // each import starts with nothing remembered
		b.StartTimer()
		for s := 1; s <= f.n; s += 1000 {
			f.call(b, "GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=1000", s), "", 200)
		}
	}
	b.StopTimer()
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "import-s")
	b.ReportMetric(raw.Seconds(), "raw-full-scan-s")
	b.ReportMetric(float64(per)/float64(raw), "x-raw")
}

// writeBench runs op b.N*samplesPerOp times over clients goroutines and returns operations
// per second.
func writeBench(b *testing.B, clients int, op func(i int)) float64 {
	total := b.N * samplesPerOp
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				op(i)
			}
		})
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}

var createSeq atomic.Int64

// BenchmarkCreateUser measures POST /Users throughput with 1 and 32 concurrent clients beside
// raw store creates (one PutUser per transaction) at the same concurrency.
func BenchmarkCreateUser(b *testing.B) {
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprint("clients=", clients), func(b *testing.B) {
			f := seed(b, 1_000)
			rawRate := writeBench(b, clients, func(int) {
				i := 10_000_000 + int(createSeq.Add(1))
				u := seededUser(i)
				if err := f.store.Update(context.Background(), func(tx directory.Tx) error { return tx.PutUser(u) }); err != nil {
					b.Fatal(err)
				}
			})
			b.ResetTimer()
			rate := writeBench(b, clients, func(int) {
				i := 20_000_000 + int(createSeq.Add(1))
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new%d@example.com","externalId":"new-%d","name":{"givenName":"N","familyName":"U"},"emails":[{"value":"new%d@example.com","type":"work","primary":true}]}`, i, i, i)
				f.call(b, "POST", "/scim/v2/Users", body, 201)
			})
			b.StopTimer()
			b.ReportMetric(rate, "creates/s")
			b.ReportMetric(rawRate, "raw-puts/s")
			b.ReportMetric(rate/rawRate, "x-raw")
		})
	}
}

// BenchmarkPatchUser measures PATCH /Users/{id} throughput (32 clients) beside raw store
// read-modify-write transactions.
func BenchmarkPatchUser(b *testing.B) {
	f := seed(b, 100_000)
	const clients = 32
	rawRate := writeBench(b, clients, func(i int) {
		id := seededUser((i * 7919) % f.n).ID
		if err := f.store.Update(context.Background(), func(tx directory.Tx) error {
			u, err := tx.User(id)
			if err != nil {
				return err
			}
			u.Title = fmt.Sprint("raw", i)
			u.Meta.Version++
			return tx.PutUser(u)
		}); err != nil {
			b.Fatal(err)
		}
	})
	b.ResetTimer()
	rate := writeBench(b, clients, func(i int) {
		id := seededUser((i * 104729) % f.n).ID
		f.call(b, "PATCH", "/scim/v2/Users/"+id, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"t%d"}]}`, i), 200)
	})
	b.StopTimer()
	b.ReportMetric(rate, "patches/s")
	b.ReportMetric(rawRate, "raw-updates/s")
	b.ReportMetric(rate/rawRate, "x-raw")
}
