package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Payload is the JSON body of a delivery: the event and, for user and group events, the
// resource as it was after the change.
type Payload struct {
	ID      string    `json:"id"`
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Subject string    `json:"subject,omitempty"`
	// Org is the organization of the event; "" for an event of none (an admin credential of
	// every organization).
	Org     string   `json:"org"`
	IdP     string   `json:"idp,omitempty"`
	Rule    string   `json:"rule,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Changes []string `json:"changes"`
	User    *User    `json:"user,omitempty"`
	Group   *Group   `json:"group,omitempty"`
	// Partial says the snapshot leaves attributes out (a large group's members, a large
	// user's multi-valued attributes); the resource itself has them.
	Partial bool `json:"partial,omitempty"`
}

// User is the user snapshot in a payload. It lists its fields rather than embedding
// directory.User so that internal fields (the password hash, the sessions cut-off) can never
// reach a receiver, whatever is added to the domain type later.
type User struct {
	ID                string                 `json:"id"`
	UserName          string                 `json:"userName"`
	Name              directory.Name         `json:"name"`
	DisplayName       string                 `json:"displayName,omitempty"`
	NickName          string                 `json:"nickName,omitempty"`
	Title             string                 `json:"title,omitempty"`
	UserType          string                 `json:"userType,omitempty"`
	PreferredLanguage string                 `json:"preferredLanguage,omitempty"`
	Locale            string                 `json:"locale,omitempty"`
	Timezone          string                 `json:"timezone,omitempty"`
	Active            bool                   `json:"active"`
	Emails            []directory.MultiValue `json:"emails,omitempty"`
	PhoneNumbers      []directory.MultiValue `json:"phoneNumbers,omitempty"`
	Addresses         []directory.Address    `json:"addresses,omitempty"`
	Roles             []directory.MultiValue `json:"roles,omitempty"`
	Entitlements      []directory.MultiValue `json:"entitlements,omitempty"`
	ExternalID        string                 `json:"externalId,omitempty"`
	Enterprise        directory.Enterprise   `json:"enterprise"`
	Org               string                 `json:"org"`
	IdP               string                 `json:"idp,omitempty"`
	UniqueUserID      string                 `json:"uniqueUserId,omitempty"`
	Owner             directory.Owner        `json:"owner"`
	LastLoginAt       *time.Time             `json:"lastLoginAt"`
	Meta              directory.Meta         `json:"meta"`
}

// Group is the group snapshot in a payload.
type Group struct {
	ID          string          `json:"id"`
	DisplayName string          `json:"displayName"`
	ExternalID  string          `json:"externalId,omitempty"`
	Org         string          `json:"org"`
	IdP         string          `json:"idp,omitempty"`
	Owner       directory.Owner `json:"owner"`
	Members     []string        `json:"members"`
	Meta        directory.Meta  `json:"meta"`
}

// NewPayload builds the delivery body of an event.
func NewPayload(e directory.Event) Payload {
	p := Payload{ID: e.ID, Seq: e.Seq, Type: e.Type, Time: e.Time.UTC(), Actor: e.Actor, Subject: e.Subject,
		Org: e.Org, IdP: e.IdP, Rule: string(e.Rule), Reason: e.Reason, Changes: e.Changes, Partial: e.Partial}
	if p.Changes == nil {
		p.Changes = []string{}
	}
	if u := e.User; u != nil {
		pu := User{ID: u.ID, UserName: u.UserName, Name: u.Name, DisplayName: u.DisplayName, NickName: u.NickName,
			Title: u.Title, UserType: u.UserType, PreferredLanguage: u.PreferredLanguage, Locale: u.Locale,
			Timezone: u.Timezone, Active: u.Active, Emails: u.Emails, PhoneNumbers: u.PhoneNumbers,
			Addresses: u.Addresses, Roles: u.Roles, Entitlements: u.Entitlements, ExternalID: u.ExternalID,
			Enterprise: u.Enterprise, Org: u.Org, IdP: u.IdP, UniqueUserID: u.UniqueUserID, Owner: u.Owner, Meta: u.Meta}
		if !u.LastLoginAt.IsZero() {
			t := u.LastLoginAt.UTC()
			pu.LastLoginAt = &t
		}
		p.User = &pu
	}
	if g := e.Group; g != nil {
		p.Group = &Group{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Org: g.Org, IdP: g.IdP,
			Owner: g.Owner, Members: g.Members, Meta: g.Meta}
		if p.Group.Members == nil {
			p.Group.Members = []string{}
		}
	}
	return p
}

// decodeSecret returns the HMAC key of a whsec_ secret.
func decodeSecret(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("webhook secret lacks the whsec_ prefix")
	}
	return base64.StdEncoding.DecodeString(raw)
}

// sign returns the webhook-signature header value of the Standard Webhooks spec:
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body".
func sign(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// errOtherHost is returned by the redirect policy: a receiver must not send Roster's signed
// change feed on to another host.
var errOtherHost = errors.New("redirect to another host refused")

// sameHostRedirect follows only 307 and 308 redirects on the same scheme and host, the ones
// that resend the same POST body; a 301, 302 or 303 would turn the delivery into a GET that
// carries no event, so it is a failure rather than a delivery.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if req.URL.Host != first.URL.Host || req.URL.Scheme != first.URL.Scheme {
		return fmt.Errorf("%w (%s)", errOtherHost, req.URL.Host)
	}
	if req.Method != first.Method {
		return fmt.Errorf("redirect %s would drop the body; only 307 and 308 are followed", req.Response.Status)
	}
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	return nil
}

// attemptError describes a failed delivery attempt for the webhook's last_error.
type attemptError struct{ msg string }

func (e *attemptError) Error() string { return e.msg }

// send makes one delivery attempt. The returned error, if any, is an *attemptError whose text
// is fit for the API's last_error.
func (h *Handler) send(ctx context.Context, url string, key []byte, eventID string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return &attemptError{msg: "building the request: " + err.Error()}
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/1")
	req.Header.Set("webhook-id", eventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sign(key, eventID, ts, body))
	resp, err := h.client.Do(req)
	if err != nil {
		switch {
		case errors.Is(err, errOtherHost):
			return &attemptError{msg: trimErr(err)}
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			return &attemptError{msg: fmt.Sprintf("no answer within %s", h.cfg.Timeout)}
		default:
			return &attemptError{msg: trimErr(err)}
		}
	}
	defer resp.Body.Close()
	// Drain a bounded part of the answer, so that small answers let the connection be reused;
	// a huge answer is cut off rather than read. None of it goes into last_error, nor does the
	// receiver's own reason phrase: what a receiver answers is not for Roster to repeat.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, h.cfg.MaxResponseBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &attemptError{msg: fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
}

func trimErr(err error) string { return truncate(err.Error(), 300) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// encodePayload marshals an event's payload.
func encodePayload(e directory.Event) ([]byte, error) {
	return json.Marshal(NewPayload(e))
}
