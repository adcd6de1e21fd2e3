package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/internal/benchgoal"
	"github.com/rosterhq/roster/storage/bolt"
)

// scaleEnv names the environment variable that turns the scale benchmark on: it seeds a
// million users, which takes minutes, so a plain `go test -bench .` leaves it out and make
// bench sets it.
const scaleEnv = "ROSTER_BENCH_SCALE"

// scaleUser is the i-th user of a seeded store: a SCIM-provisioned person of IdP okta.
func scaleUser(i int, id string, now time.Time) directory.User {
	name := fmt.Sprintf("user%07d@example.com", i)
	return directory.User{ID: id, UserName: name, Active: true, DisplayName: fmt.Sprint("Person ", i),
		Name:       directory.Name{GivenName: "Person", FamilyName: strconv.Itoa(i)},
		Emails:     []directory.MultiValue{{Value: name, Type: "work", Primary: true}},
		ExternalID: fmt.Sprintf("00u%07d", i), Org: directory.DefaultOrg, IdP: "okta", UniqueUserID: fmt.Sprintf("00u%07d", i),
		Owner: directory.OwnerSCIM, Meta: directory.Meta{Created: now, LastModified: now, Version: 1}}
}

// seedScale writes a data file of n users, each with its creation event, as SCIM would have
// left it, and returns a SCIM token of their IdP.
func seedScale(b *testing.B, path string, n int) string {
	b.Helper()
	st, err := bolt.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	svc := directory.New(st)
	// The file is written as a server running since its first start would have left it: with
	// the folding its indexes are built under recorded (roster serve records it on an empty
	// store). Without it the server would rebuild both indexes of every user when it starts —
	// an upgrade's work, and the heap it leaves, measured as if it were a lookup's.
	if _, _, err := svc.RefoldIndexes(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateIdP(ctx, "bench", directory.IdP{ID: "okta", Protocol: directory.ProtocolSAML, Mode: directory.ModeSCIM}); err != nil {
		b.Fatal(err)
	}
	tok, secret, err := svc.CreateToken(ctx, "bench", directory.TokenSCIM, "okta", "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	// Random ids, given out in ascending order, so that every index grows at its end as the
	// file is written, which makes a million users minutes quicker to write; where a lookup
	// lands is as random as ever.
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	slices.Sort(ids)
	const batch = 20_000
	for from := 0; from < n; from += batch {
		err := st.UpdateUnbatched(ctx, func(tx directory.Tx) error {
			for i := from; i < min(from+batch, n); i++ {
				u := scaleUser(i, ids[i], now)
				if err := tx.PutUser(u); err != nil {
					return err
				}
				if _, err := tx.AppendEvent(directory.Event{ID: uuid.NewString(), Time: now, Type: directory.EventUserCreated,
					Actor: "scim:" + tok.ID, Subject: u.ID, Org: u.Org, IdP: u.IdP, Changes: []string{"userName"}, User: &u}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return secret
}

// scaleServer is `roster serve` running as a process of its own on a seeded file.
type scaleServer struct {
	cmd   *exec.Cmd
	url   string
	token string
	users int
}

// scaleAdminToken is the bootstrap admin token of the servers startScaleServer starts.
var scaleAdminToken = "rst_admin_" + strings.Repeat("b", 43)

// startScaleServer starts the built roster serve on the data file at path, with env added to
// its environment, and stops it when the test ends; token is the SCIM token of its users.
func startScaleServer(b testing.TB, path, token string, users int, env ...string) *scaleServer {
	b.Helper()
	cmd := exec.Command(cliBinary, "serve", "--addr", "127.0.0.1:0", "--data", path, "--admin-token", scaleAdminToken)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec.Msg == "roster started" {
			// The server logs every request; its log is read and dropped from now on.
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return &scaleServer{cmd: cmd, url: "http://" + rec.Addr, token: token, users: users}
		}
	}
	b.Fatalf("roster serve on %s did not start: %v", path, lines.Err())
	return nil
}

var scaleClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

// lookup asks GET /scim/v2/Users?filter=userName eq "…" for the i-th user and checks that the
// answer names exactly that user.
func (s *scaleServer) lookup(b *testing.B, i int) time.Duration {
	name := fmt.Sprintf("user%07d@example.com", i)
	req, _ := http.NewRequest(http.MethodGet, s.url+"/scim/v2/Users?filter="+url.QueryEscape(`userName eq "`+name+`"`), nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	start := time.Now()
	res, err := scaleClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"totalResults":1`) || !strings.Contains(string(body), name) {
		b.Fatalf("lookup of %s: %d %s (%v)", name, res.StatusCode, body, err)
	}
	return took
}

// rssMB is a line of a process's /proc status, such as VmRSS (all it holds in memory) or
// RssAnon (what is not the mapped data file), in MiB.
func rssMB(b *testing.B, pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// BenchmarkUserNameLookupScale compares `userName eq` lookups over HTTP against two servers —
// `roster serve` processes on data files of 10,000 and of 1,000,000 users, each user with
// its creation event — in alternating rounds: "p99-x-10k" is the median of the rounds' ratios
// of the p99 latency at a million users to the p99 at ten thousand. It reports the data file's
// size and the million-user server's resident memory after the lookups, and at its start. It runs only with
// ROSTER_BENCH_SCALE=1 (make bench sets it unless it is 0); a larger figure seeds that many
// users instead, to try the benchmark out.
func BenchmarkUserNameLookupScale(b *testing.B) {
	if v := os.Getenv(scaleEnv); v == "" || v == "0" {
		b.Skipf("set %s=1 to seed a million users and run it (make bench does)", scaleEnv)
	}
	large := 1_000_000
	if n, err := strconv.Atoi(os.Getenv(scaleEnv)); err == nil && n > 1 {
		large = n // a smaller figure, for trying the benchmark out
	}
	dir := b.TempDir()
	smallPath, largePath := filepath.Join(dir, "10k.db"), filepath.Join(dir, "large.db")
	seedStart := time.Now()
	largeToken := seedScale(b, largePath, large)
	seeding := time.Since(seedStart)
	smallToken := seedScale(b, smallPath, 10_000)
	small := startScaleServer(b, smallPath, smallToken, 10_000)
	big := startScaleServer(b, largePath, largeToken, large)
	startRSS := rssMB(b, big.cmd.Process.Pid, "VmRSS")
	const perRound = 1000
	rng := rand.New(rand.NewPCG(1, 2))
	// Lookups alternate one by one between the two servers, so that whatever else the machine
	// does weighs on both samples of a round alike; a round's figure is each side's p99.
	round := func() benchgoal.Round {
		var at10k, atLarge []time.Duration
		for k := range perRound {
			first, second := small, big
			if k%2 == 1 {
				first, second = big, small
			}
			d1, d2 := first.lookup(b, rng.IntN(first.users)), second.lookup(b, rng.IntN(second.users))
			if first == small {
				at10k, atLarge = append(at10k, d1), append(atLarge, d2)
			} else {
				at10k, atLarge = append(at10k, d2), append(atLarge, d1)
			}
		}
		return benchgoal.Round{Baseline: benchgoal.Quantile(at10k, 0.99).Seconds(), Subject: benchgoal.Quantile(atLarge, 0.99).Seconds()}
	}
	// A first round, untimed, as a server's first requests pay for its start.
	round()
	b.ResetTimer()
	var rounds benchgoal.Rounds
	for range 7 * b.N {
		rounds = append(rounds, round())
	}
	b.StopTimer()
	fi, err := os.Stat(largePath)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(benchgoal.Median(rounds.Baselines())*1e6, "p99-10k-µs")
	b.ReportMetric(benchgoal.Median(rounds.Subjects())*1e6, "p99-large-µs")
	b.ReportMetric(rounds.CostRatio(), "p99-x-10k")
	b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	// The resident set counts the pages of the memory-mapped data file the lookups touched;
	// the anonymous part is the process's own memory (Go heap, stacks).
	b.ReportMetric(rssMB(b, big.cmd.Process.Pid, "VmRSS"), "rss-MiB")
	b.ReportMetric(rssMB(b, big.cmd.Process.Pid, "RssAnon"), "rss-anon-MiB")
	b.ReportMetric(startRSS, "rss-start-MiB")
	b.ReportMetric(float64(large), "users")
	b.ReportMetric(seeding.Seconds(), "seed-s")
}
