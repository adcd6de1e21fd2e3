package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// verifySignature checks a delivery the way the Standard Webhooks spec tells a receiver to,
// written from the spec and independently of the package's signing code: the key is the
// base64 part of the whsec_ secret, the signed content is "id.timestamp.body", the header holds
// space-separated "v1,<base64 HMAC-SHA256>" entries of which one must match, and the timestamp
// must be within five minutes of now.
func verifySignature(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing webhook headers: id=%q timestamp=%q signature=%q", id, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q: %v", ts, err)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp %s is %s away from now", ts, d)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		return fmt.Errorf("secret %q lacks whsec_", secret)
	}
	key, err := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	if err != nil {
		return fmt.Errorf("secret does not decode: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, id+"."+ts+".")
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature in %q matches", sigs)
}

// delivery is what a receiver saw.
type delivery struct {
	WebhookID string
	Seq       uint64
	Type      string
	Body      map[string]any
}

// receiver is a real HTTP endpoint that verifies every request's signature and records the
// verified deliveries. Its answer is decided by respond, which tests swap to simulate outages.
type receiver struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	got      []delivery
	attempts []delivery // every verified request, whatever the answer
	requests int
	bad      []string
	respond  func(n int, d delivery) int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t, respond: func(int, delivery) int { return http.StatusNoContent }}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secret := r.secret
	r.requests++
	n := r.requests
	respond := r.respond
	r.mu.Unlock()
	var d delivery
	err := verifySignature(secret, req.Header, body, time.Now())
	if err == nil && req.Method != http.MethodPost {
		err = fmt.Errorf("method %s", req.Method)
	}
	if err == nil {
		err = json.Unmarshal(body, &d.Body)
	}
	if err == nil {
		d.WebhookID = req.Header.Get("webhook-id")
		seq, _ := d.Body["seq"].(float64)
		d.Seq = uint64(seq)
		d.Type, _ = d.Body["type"].(string)
		if id, _ := d.Body["id"].(string); id != d.WebhookID {
			err = fmt.Errorf("body id %q differs from webhook-id %q", id, d.WebhookID)
		}
	}
	if err != nil {
		r.mu.Lock()
		r.bad = append(r.bad, err.Error())
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.attempts = append(r.attempts, d)
	r.mu.Unlock()
	code := respond(n, d)
	if code >= 200 && code < 300 {
		r.mu.Lock()
		r.got = append(r.got, d)
		r.mu.Unlock()
	}
	w.WriteHeader(code)
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

func (r *receiver) setRespond(f func(n int, d delivery) int) {
	r.mu.Lock()
	r.respond = f
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func (r *receiver) allAttempts() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.attempts...)
}

func (r *receiver) badRequests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

func (r *receiver) requestCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// TestVerifySignatureRejects keeps the test's own verifier honest: it must refuse a tampered
// body, a wrong secret, a stale timestamp and a missing header, or the delivery tests that rely
// on it would prove nothing.
func TestVerifySignatureRejects(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"msg_1"}`)
	sign := func(id, ts string, b []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "."))
		m.Write(b)
		return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	header := func(id, ts, sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		return h
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	if err := verifySignature(secret, header("msg_1", ts, "v1a,xx "+sign("msg_1", ts, body)), body, now); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 32 bytes........."))
	old := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	for name, tc := range map[string]struct {
		secret string
		h      http.Header
		body   []byte
	}{
		"tampered body":    {secret, header("msg_1", ts, sign("msg_1", ts, body)), []byte(`{"id":"msg_2"}`)},
		"other id":         {secret, header("msg_2", ts, sign("msg_1", ts, body)), body},
		"wrong secret":     {other, header("msg_1", ts, sign("msg_1", ts, body)), body},
		"stale timestamp":  {secret, header("msg_1", old, sign("msg_1", old, body)), body},
		"missing header":   {secret, http.Header{}, body},
		"unknown version":  {secret, header("msg_1", ts, "v2,"+strings.TrimPrefix(sign("msg_1", ts, body), "v1,")), body},
		"secret no prefix": {strings.TrimPrefix(secret, "whsec_"), header("msg_1", ts, sign("msg_1", ts, body)), body},
	} {
		if err := verifySignature(tc.secret, tc.h, tc.body, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
