package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Prefix is the path under which the handler serves the admin API.
const Prefix = "/admin/api/v1/webhooks"

// maxBody bounds request bodies of the admin API.
const maxBody = 1 << 20

// secretPrefix marks Standard Webhooks secrets.
const secretPrefix = "whsec_"

// Webhook is a webhook as the admin API shows it. Secret is set only in the answer to the
// request that created it.
type Webhook struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	EventTypes  []string   `json:"event_types"`
	IdP         string     `json:"idp,omitempty"`
	Org         string     `json:"org"`
	Secret      string     `json:"secret,omitempty"`
	Status      string     `json:"status"`
	Cursor      uint64     `json:"cursor"`
	LastError   string     `json:"last_error,omitempty"`
	LastAttempt *time.Time `json:"last_attempt"`
	Failures    int        `json:"failures"`
	Created     time.Time  `json:"created"`
}

func view(rec directory.Webhook) Webhook {
	st := withStatus(rec.State)
	w := Webhook{ID: rec.ID, URL: rec.URL, EventTypes: rec.EventTypes, IdP: rec.IdP, Org: rec.Org,
		Status: st.Status, Cursor: st.Cursor, LastError: st.LastError, Failures: st.Failures,
		Created: rec.Created}
	if w.EventTypes == nil {
		w.EventTypes = []string{}
	}
	if !st.LastAttempt.IsZero() {
		t := st.LastAttempt
		w.LastAttempt = &t
	}
	return w
}

// createRequest is the body of POST /webhooks.
type createRequest struct {
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	IdP        string   `json:"idp"`
	// Org limits the webhook to one organization's events; "" (of an IdP: the IdP's) is every
	// organization's. The admin surface reads it to decide the request and passes on the
	// organization it decided, which is what counts.
	Org string `json:"org"`
	// FromSeq, when set, makes the first delivery the event with this seq; without it the
	// webhook receives the events written after its creation.
	FromSeq *uint64 `json:"from_seq"`
}

type replayRequest struct {
	FromSeq *uint64 `json:"from_seq"`
}

// apiError is an error with the status the API answers it with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// The methods below serve the webhook routes for the admin surface (admin.WebhookAPI), which
// routes each request and has authenticated and authorized it before it comes here. org is the
// organization the admin surface decided: the one a list is limited to, or the one a new
// webhook is of ("" for every organization).

// ListWebhooks answers GET /webhooks.
func (h *Handler) ListWebhooks(w http.ResponseWriter, r *http.Request, org string) {
	out, err := h.list(r.Context(), org)
	h.answer(w, r, http.StatusOK, out, err)
}

// CreateWebhook answers POST /webhooks.
func (h *Handler) CreateWebhook(w http.ResponseWriter, r *http.Request, org string) {
	out, err := h.create(w, r, org)
	h.answer(w, r, http.StatusCreated, out, err)
}

// GetWebhook answers GET /webhooks/{id}.
func (h *Handler) GetWebhook(w http.ResponseWriter, r *http.Request) {
	out, err := h.get(r.Context(), r.PathValue("id"))
	h.answer(w, r, http.StatusOK, out, err)
}

// DeleteWebhook answers DELETE /webhooks/{id}.
func (h *Handler) DeleteWebhook(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, http.StatusNoContent, nil, h.delete(r.Context(), r.PathValue("id")))
}

// ResumeWebhook answers POST /webhooks/{id}/resume.
func (h *Handler) ResumeWebhook(w http.ResponseWriter, r *http.Request) {
	out, err := h.resume(r.Context(), r.PathValue("id"))
	h.answer(w, r, http.StatusOK, out, err)
}

// ReplayWebhook answers POST /webhooks/{id}/replay.
func (h *Handler) ReplayWebhook(w http.ResponseWriter, r *http.Request) {
	out, err := h.replay(w, r, r.PathValue("id"))
	h.answer(w, r, http.StatusOK, out, err)
}

// answer writes out with status, or the error's answer.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, status int, out any, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, out)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, directory.ErrNotFound):
		ae = &apiError{status: http.StatusNotFound, msg: "no such webhook"}
	default:
		h.log.Error("webhooks api", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{status: http.StatusInternalServerError, msg: "internal error"}
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster admin"`)
	}
	writeJSON(w, ae.status, map[string]string{"error": ae.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decode reads a JSON body of at most maxBody bytes into v, refusing unknown fields and
// trailing data so that a typo is an error rather than a silently ignored setting.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", maxBody)
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "request body is empty; send a JSON object")
	default:
		return errorf(http.StatusBadRequest, "invalid JSON body: %v", err)
	}
}

// list answers GET /webhooks with the webhooks of org, or every webhook for "".
func (h *Handler) list(ctx context.Context, org string) (any, error) {
	ws, err := h.svc.Webhooks(ctx, org)
	if err != nil {
		return nil, err
	}
	items := make([]Webhook, 0, len(ws))
	for _, w := range ws {
		items = append(items, view(w))
	}
	sort.Slice(items, func(i, j int) bool {
		if !items[i].Created.Equal(items[j].Created) {
			return items[i].Created.Before(items[j].Created)
		}
		return items[i].ID < items[j].ID
	})
	return map[string]any{"items": items}, nil
}

func (h *Handler) get(ctx context.Context, id string) (Webhook, error) {
	w, err := h.svc.Webhook(ctx, id)
	if err != nil {
		return Webhook{}, err
	}
	return view(w), nil
}

// create answers POST /webhooks with a webhook of org ("" for every organization), which the
// admin surface decided from the body's "org" or "idp" and the credential.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, org string) (Webhook, error) {
	var in createRequest
	if err := decode(w, r, &in); err != nil {
		return Webhook{}, err
	}
	var problems []string
	u, urlProblems := CheckURL(in.URL)
	problems = append(problems, urlProblems...)
	types, typeProblems := checkEventTypes(in.EventTypes)
	problems = append(problems, typeProblems...)
	in.IdP, in.Org = strings.TrimSpace(in.IdP), org
	if in.IdP != "" {
		p, err := h.svc.IdP(r.Context(), in.IdP)
		switch {
		case errors.Is(err, directory.ErrNotFound) && in.Org == "":
			problems = append(problems, fmt.Sprintf("idp: no IdP %q", in.IdP))
		case errors.Is(err, directory.ErrNotFound), err == nil && in.Org != "" && p.Org != in.Org:
			// An IdP of another organization reads as one that does not exist, so that the
			// answer tells an organization's administrator nothing of another's IdPs.
			problems = append(problems, fmt.Sprintf("idp: organization %q has no IdP %q", in.Org, in.IdP))
		case err != nil:
			return Webhook{}, err
		}
	}
	if len(problems) > 0 {
		return Webhook{}, errorf(http.StatusBadRequest, "%s", strings.Join(problems, "; "))
	}
	secret, err := newSecret()
	if err != nil {
		return Webhook{}, err
	}
	rec, err := h.svc.CreateWebhook(r.Context(), directory.Webhook{ID: h.svc.NewID(), URL: u.String(), Secret: secret,
		EventTypes: types, IdP: in.IdP, Org: in.Org, Created: h.svc.Now()}, func(last uint64) (directory.WebhookState, error) {
		st := directory.WebhookState{Status: StatusActive, Cursor: last}
		if in.FromSeq != nil {
			if *in.FromSeq > last+1 {
				return st, errorf(http.StatusBadRequest, "from_seq %d is beyond the next event (%d)", *in.FromSeq, last+1)
			}
			st.Cursor = max(*in.FromSeq, 1) - 1
		}
		return st, nil
	})
	if errors.Is(err, directory.ErrInvalid) {
		// The IdP or organization changed between the checks above and the creation.
		return Webhook{}, errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return Webhook{}, err
	}
	select {
	case h.created <- struct{}{}:
	default:
	}
	h.log.Info("webhook created", "id", rec.ID, "url", redactURL(u), "cursor", rec.State.Cursor)
	out := view(rec)
	out.Secret = secret
	return out, nil
}

func (h *Handler) delete(ctx context.Context, id string) error {
	err := h.svc.DeleteWebhook(ctx, id)
	if err == nil {
		h.kick(id)
		h.log.Info("webhook deleted", "id", id)
	}
	return err
}

// resume clears the failure count so the worker retries at once.
func (h *Handler) resume(ctx context.Context, id string) (Webhook, error) {
	return h.resetState(ctx, id, func(st *directory.WebhookState, _ uint64) error { return nil })
}

// replay moves the cursor so that delivery restarts at from_seq.
func (h *Handler) replay(w http.ResponseWriter, r *http.Request, id string) (Webhook, error) {
	var in replayRequest
	if err := decode(w, r, &in); err != nil {
		return Webhook{}, err
	}
	if in.FromSeq == nil {
		return Webhook{}, errorf(http.StatusBadRequest, "from_seq is required")
	}
	return h.resetState(r.Context(), id, func(st *directory.WebhookState, last uint64) error {
		if *in.FromSeq > last+1 {
			return errorf(http.StatusBadRequest, "from_seq %d is beyond the next event (%d)", *in.FromSeq, last+1)
		}
		st.Cursor = max(*in.FromSeq, 1) - 1
		return nil
	})
}

// resetState changes a webhook's state on an administrator's word and clears its failures;
// the Service bumps the generation, which tells the lease holder its view is stale.
func (h *Handler) resetState(ctx context.Context, id string, fn func(st *directory.WebhookState, last uint64) error) (Webhook, error) {
	w, err := h.svc.ResetWebhook(ctx, id, func(st directory.WebhookState, last uint64) (directory.WebhookState, error) {
		if err := fn(&st, last); err != nil {
			return st, err
		}
		st.Status, st.Failures, st.LastError = StatusActive, 0, ""
		return st, nil
	})
	if err != nil {
		return Webhook{}, err
	}
	h.kick(id)
	h.log.Info("webhook reset", "id", id, "cursor", w.State.Cursor)
	return view(w), nil
}

// newSecret returns a Standard Webhooks secret: whsec_ and 32 random bytes in base64.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// CheckURL reports every problem of a webhook URL at once: it must be absolute http or https,
// have a host, and carry no user information (credentials belong in the signature, and URLs
// are shown and logged).
func CheckURL(raw string) (*url.URL, []string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, []string{"url is required"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, []string{fmt.Sprintf("url %q does not parse: %v", raw, err)}
	}
	var problems []string
	if !u.IsAbs() {
		problems = append(problems, fmt.Sprintf("url %q is not absolute", raw))
	} else if u.Scheme != "http" && u.Scheme != "https" {
		problems = append(problems, fmt.Sprintf("url scheme %q is not http or https", u.Scheme))
	}
	if u.Host == "" || u.Hostname() == "" {
		problems = append(problems, "url has no host")
	}
	if u.User != nil {
		problems = append(problems, "url must not contain user information (user:password@)")
	}
	if u.Fragment != "" {
		problems = append(problems, "url must not have a fragment")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return u, nil
}

// checkEventTypes validates the filter: exact types such as "user.created", prefix patterns
// such as "user.*", or "*". Duplicates are dropped.
func checkEventTypes(types []string) ([]string, []string) {
	out := []string{}
	var problems []string
	seen := map[string]bool{}
	for _, t := range types {
		t = strings.TrimSpace(t)
		if !validPattern(t) {
			problems = append(problems, fmt.Sprintf("event_types: %q is not an event type or a pattern such as \"user.*\"", t))
			continue
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, problems
}

func validPattern(p string) bool {
	if p == "*" {
		return true
	}
	p = strings.TrimSuffix(p, ".*")
	if p == "" {
		return false
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}

// matches reports whether the webhook wants the event. A webhook of one organization never
// gets another's events, nor those of no organization.
func matches(rec directory.Webhook, e directory.Event) bool {
	if rec.Org != "" && e.Org != rec.Org {
		return false
	}
	if rec.IdP != "" && e.IdP != rec.IdP {
		return false
	}
	if len(rec.EventTypes) == 0 {
		return true
	}
	for _, p := range rec.EventTypes {
		switch {
		case p == "*", p == e.Type:
			return true
		case strings.HasSuffix(p, ".*") && strings.HasPrefix(e.Type, p[:len(p)-1]):
			return true
		}
	}
	return false
}

// redactURL drops the query, which may carry a receiver's token, from URLs in logs.
func redactURL(u *url.URL) string {
	c := *u
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}
