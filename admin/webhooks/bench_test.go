package webhooks_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin/webhooks"
	"github.com/rosterhq/roster/directory"
)

// BenchmarkDelivery measures webhook deliveries per second from the event log to a local
// receiver — reading events, signing, POSTing, and committing the cursor after each 2xx —
// beside a baseline measured in the same run: the same signed bodies POSTed in a plain loop to
// the same receiver, with no store, lease or cursor. ns/op is the time per webhook delivery;
// "ratio" is webhook deliveries/s divided by baseline POSTs/s.
//
// Run with a fixed count, e.g. go test -run '^$' -bench Delivery -benchtime 2000x.
func BenchmarkDelivery(b *testing.B) {
	e := newEnv(b)
	a := e.idp("okta")
	var count atomic.Int64
	var target atomic.Int64
	done := make(chan struct{}, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if count.Add(1) == target.Load() {
			done <- struct{}{}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(recv.Close)

	// The events exist before timing starts, made concurrently so that group commit makes
	// setting up large b.N bearable.
	first := lastSeq(b, e) + 1
	var wg sync.WaitGroup
	per := (b.N + 15) / 16
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * per; i < min(b.N, (w+1)*per); i++ {
				if _, err := e.svc.SCIMCreateUser(context.Background(), a, directory.User{UserName: fmt.Sprintf("u%d@example.com", i),
					ExternalID: fmt.Sprintf("x%d", i), Active: true, Name: directory.Name{GivenName: "Bench", FamilyName: strconv.Itoa(i)}}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	evs := e.Events(first - 1)
	if len(evs) != b.N {
		b.Fatalf("made %d events, want %d", len(evs), b.N)
	}

	// Baseline: plain signed POSTs of the same bodies, one after another.
	key := make([]byte, 32)
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	bodies := make([][]byte, len(evs))
	for i, ev := range evs {
		bodies[i], _ = json.Marshal(webhooks.NewPayload(ev))
	}
	count.Store(0)
	target.Store(int64(b.N))
	start := time.Now()
	for i, body := range bodies {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(evs[i].ID + "." + ts + "."))
		m.Write(body)
		// Each POST has the same per-attempt timeout the webhooks use, so that the two differ
		// only by what the store, the lease and the cursor add.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, recv.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", evs[i].ID)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		cancel()
	}
	<-done
	baseline := float64(b.N) / time.Since(start).Seconds()

	// Webhooks: a webhook starting at the first event, delivered by the handler's worker.
	count.Store(0)
	h := webhooks.New(e.svc, webhooks.Config{PollInterval: 10 * time.Millisecond, HTTPClient: loopbackClient()})
	var created webhooks.Webhook
	if code := call(b, e.api(h), "POST", "/admin/api/v1/webhooks", adminToken, map[string]any{"url": recv.URL, "from_seq": first}, &created); code != http.StatusCreated {
		b.Fatalf("create: %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	b.ResetTimer()
	start = time.Now()
	go func() { defer close(stopped); _ = h.Run(ctx) }()
	<-done
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-stopped
	if got := count.Load(); got != int64(b.N) {
		b.Fatalf("receiver got %d deliveries, want %d", got, b.N)
	}
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "deliveries/s")
	b.ReportMetric(baseline, "baseline-posts/s")
	b.ReportMetric(rate/baseline, "ratio")
}

func lastSeq(b *testing.B, e *env) uint64 {
	var last uint64
	if err := e.svc.View(context.Background(), func(tx directory.ReadTx) error {
		var err error
		last, err = tx.LastSeq()
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return last
}
