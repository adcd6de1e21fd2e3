package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
)

// transport bounds every answer's body and reports each answer to the request's Observation.
type transport struct {
	base    *http.Transport
	maxBody int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	obs := observationOf(req.Context())
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	obs.sawStatus(resp.StatusCode)
	if resp.ContentLength > t.maxBody {
		// Announced as too large: refuse without reading any of it.
		resp.Body.Close()
		err := tooLarge(hostOf(req), t.maxBody)
		obs.sawFailure(err)
		return nil, err
	}
	resp.Body = &limitedBody{
		r: io.LimitReader(resp.Body, t.maxBody+1), closer: resp.Body,
		left: t.maxBody, host: hostOf(req), limit: t.maxBody, obs: obs,
	}
	return resp, nil
}

// limitedBody reads an answer through io.LimitReader, one byte past the limit: reading that
// byte is the proof that the body is too large, and it is the only byte past the limit that
// is ever read.
type limitedBody struct {
	r      io.Reader
	closer io.Closer
	left   int64
	host   string
	limit  int64
	obs    *Observation
	err    error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		b.err = tooLarge(b.host, b.limit)
		b.obs.sawFailure(b.err)
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.closer.Close() }

// Observation records, for the requests made with its context, what the policy saw: the
// status of the last answer and a failure of the policy's own. It exists for callers whose
// libraries read the answer themselves and fold its body into their errors (as OpenID Connect
// discovery does with an error status): Explain says what went wrong without that body.
type Observation struct {
	mu      sync.Mutex
	status  int
	failure error
}

type observationKey struct{}

// Observe returns a context whose requests through a Policy's client are recorded in the
// returned Observation.
func Observe(ctx context.Context) (context.Context, *Observation) {
	o := &Observation{}
	return context.WithValue(ctx, observationKey{}, o), o
}

func observationOf(ctx context.Context) *Observation {
	o, _ := ctx.Value(observationKey{}).(*Observation)
	return o
}

func (o *Observation) sawStatus(code int) {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.status = code
	o.mu.Unlock()
}

func (o *Observation) sawFailure(err error) {
	if o == nil {
		return
	}
	o.mu.Lock()
	if o.failure == nil {
		o.failure = err
	}
	o.mu.Unlock()
}

// Explain describes err, the failure of an exchange made under the Observation's context, in
// words fit for the administrator who configured the destination, and never with any part of
// an answer's body: the policy's refusal, an answer too large, no answer in time, a connection
// that failed, or an answer with an error status. ok is false when none of these happened —
// the answer arrived with a success status and the caller could not use it — and then the
// caller describes the problem itself. A nil Observation explains only err itself.
func (o *Observation) Explain(err error) (reason string, ok bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Error(), true
	}
	var status int
	if o != nil {
		o.mu.Lock()
		failure := o.failure
		status = o.status
		o.mu.Unlock()
		if failure != nil {
			return failure.Error(), true
		}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return "no answer in time", true
	}
	// The client returns a *url.Error only when the exchange itself failed (a connection, TLS,
	// a redirect): no body has been read by then, so its cause is safe to show.
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error(), true
	}
	if status != 0 && (status < 200 || status > 299) {
		return "the server answered " + statusText(status), true
	}
	return "", false
}
