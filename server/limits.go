package server

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// The HTTP server's own timeouts. There is no write timeout: the event feed long-polls and a
// backup streams for as long as the data takes.
const (
	// ReadHeaderTimeout bounds how long a client may take to send its request line and
	// headers.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds how long a client may take to send a whole request; the routes'
	// own, shorter limits apply first (routeLimits).
	ReadTimeout = time.Minute
	// IdleTimeout bounds how long a kept-alive connection waits for its next request.
	IdleTimeout = 2 * time.Minute
)

// HTTPServer returns the http.Server that serves h, with Roster's timeouts.
func HTTPServer(h http.Handler) *http.Server {
	srv := &http.Server{Handler: h}
	SetTimeouts(srv)
	return srv
}

// SetTimeouts gives an http.Server made elsewhere (an httptest server) Roster's timeouts.
func SetTimeouts(srv *http.Server) {
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout = ReadHeaderTimeout, ReadTimeout, IdleTimeout
}

// routeLimit is what one group of routes accepts: the largest body, and how long its body may
// take to arrive, counted from the start of the request. Where a surface checks its own size
// limit (own), it answers an oversized body in its own error format (a SCIM error, say) and
// the limit here is only the backstop; elsewhere a declared length over it is 413 at once.
type routeLimit struct {
	prefix  string
	maxBody int64
	body    time.Duration
	own     bool
}

// routeLimits, the first matching prefix applying. The sign-in routes take requests from
// anybody, so they are the tightest: a SAML response is a few kilobytes and comes in one POST
// from a browser, so its body has ten seconds. SCIM and the admin API carry up to 1 MiB from
// authenticated clients. Every other route takes no body worth the name.
var routeLimits = []routeLimit{
	{"/sso/", 1<<20 + 1, 10 * time.Second, true},
	{"/scim/", 1<<20 + 1, 30 * time.Second, true},
	{"/admin/", 1<<20 + 1, 30 * time.Second, true},
	{"/", 64 << 10, 10 * time.Second, false},
}

func limitOf(path string) routeLimit {
	for _, l := range routeLimits {
		if strings.HasPrefix(path, l.prefix) {
			return l
		}
	}
	return routeLimits[len(routeLimits)-1]
}

// limitRequests applies a route's body limits: a declared length over the limit is 413 at
// once (unless the surface answers that itself), a body is cut at the limit, and a body that trickles in slower than the route allows
// fails to read, so a slow client cannot hold a request open. Requests without a body get no
// read deadline, which would otherwise end a long poll (net/http reads ahead on an idle
// connection, and a passed deadline there cancels the request).
func limitRequests(c *gin.Context) {
	r := c.Request
	l := limitOf(r.URL.Path)
	if !l.own && r.ContentLength > l.maxBody {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": "the request body is larger than this route accepts"})
		return
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		rc := http.NewResponseController(c.Writer)
		if rc.SetReadDeadline(time.Now().Add(l.body)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		r.Body = http.MaxBytesReader(c.Writer, r.Body, l.maxBody)
	}
	c.Next()
}

// deadlineBody clears the connection's read deadline once the whole body has been read, so
// that the deadline bounds the body and nothing after it. After a failed read the deadline
// stays: net/http then gives up reading what is left of the body instead of waiting for it,
// answers, and closes the connection.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
