package directory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// What an event counts as, on the dashboard and in the metrics: both classify events with
// ClassifyEvent, so that the two never disagree about what a sign-in is.
const (
	// ClassSignIn is a sign-in that signed someone in; its outcome is "created", "updated"
	// or "linked".
	ClassSignIn = "sign_in"
	// ClassSignInRefused is a refused sign-in, by a provisioning rule or a protocol check.
	ClassSignInRefused = "sign_in_refused"
	// ClassSCIM is a SCIM request that changed something; its outcome is the event type.
	ClassSCIM = "scim"
	// ClassSCIMRefused is a SCIM request a rule refused.
	ClassSCIMRefused = "scim_refused"
)

// ClassifyEvent says what e counts as (one of the Class* constants, or "" for events that are
// none of them) and its outcome.
func ClassifyEvent(e Event) (class, outcome string) {
	kind, _, _ := strings.Cut(e.Actor, ":")
	switch {
	case e.Type == EventLoginRefused:
		return ClassSignInRefused, "refused"
	case e.Type == EventSCIMRefused:
		return ClassSCIMRefused, "refused"
	case kind == "jit":
		switch e.Type {
		case EventUserCreated:
			return ClassSignIn, "created"
		case EventUserLogin:
			return ClassSignIn, "updated"
		case EventUserLinked:
			return ClassSignIn, "linked"
		}
	case kind == "scim":
		return ClassSCIM, e.Type
	}
	return "", ""
}

// StatsQuery selects what Stats counts.
type StatsQuery struct {
	// Org limits everything to one organization; "" counts every organization.
	Org string
	// From and To bound the time series; Bucket is the width of one point.
	From, To time.Time
	Bucket   time.Duration
	// Webhooks includes each webhook's lag. Webhooks carry every organization's events, so
	// only a caller of every organization asks for them.
	Webhooks bool
}

// Stats is the dashboard's data, computed from the event log and the store, so that it
// survives restarts and reads the same on every replica.
type Stats struct {
	From, To time.Time
	Bucket   time.Duration
	// Buckets are the start times of the points of every series.
	Buckets []time.Time
	// SignIns are sign-ins by IdP; Refusals refused sign-ins by IdP and rule ("" for a
	// protocol refusal, which no rule decided).
	SignIns  []Series
	Refusals []Series
	// SCIMOperations are SCIM writes by IdP; SCIMErrors SCIM refusals by IdP and rule.
	SCIMOperations []Series
	SCIMErrors     []Series
	Users          UserCounts
	Webhooks       []WebhookLag
	LastSeq        uint64
	// EventsRead is how many events were read; Truncated says the read stopped at
	// StatsEventBudget before To, so the later points are short.
	EventsRead int
	Truncated  bool
}

// Series is one line of a chart: a count per bucket.
type Series struct {
	IdP    string
	Rule   Rule
	Counts []int
	Total  int
}

// UserCounts counts users now, by IdP, owner and status. Rows are the counts of each
// (IdP, owner, active) that has users.
type UserCounts struct {
	Total    int
	Active   int
	Inactive int
	ByIdP    map[string]int
	ByOwner  map[Owner]int
	Rows     []UserCountRow
}

// UserCountRow counts the users of one IdP ("" for none), owner and status.
type UserCountRow struct {
	IdP    string
	Owner  Owner
	Active bool
	Count  int
}

// WebhookLag is how far one webhook's delivery is behind the log.
type WebhookLag struct {
	ID     string
	URL    string
	Status string
	Cursor uint64
	Lag    uint64
}

// StatsEventBudget bounds the events one Stats reads.
const StatsEventBudget = 500000

// StatsMaxBuckets bounds the points of a series.
const StatsMaxBuckets = 2000

// Stats computes the dashboard's data. A range of more than StatsMaxBuckets buckets is an
// ErrInvalid.
func (s *Service) Stats(ctx context.Context, q StatsQuery) (Stats, error) {
	if q.Bucket <= 0 || !q.From.Before(q.To) {
		return Stats{}, Invalidf("stats need from before to and a positive bucket")
	}
	n := int((q.To.Sub(q.From) + q.Bucket - 1) / q.Bucket)
	if n > StatsMaxBuckets {
		return Stats{}, Invalidf("from %s to %s in buckets of %s is %d points; at most %d fit, so choose a wider bucket",
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), q.Bucket, n, StatsMaxBuckets)
	}
	out := Stats{From: q.From, To: q.To, Bucket: q.Bucket, Buckets: make([]time.Time, n),
		SignIns: []Series{}, Refusals: []Series{}, SCIMOperations: []Series{}, SCIMErrors: []Series{}, Webhooks: []WebhookLag{}}
	for i := range out.Buckets {
		out.Buckets[i] = q.From.Add(time.Duration(i) * q.Bucket)
	}
	type key struct {
		class, idp string
		rule       Rule
	}
	series := map[key]*Series{}
	end, err := s.SearchEvents(ctx, EventScan{Org: q.Org, Filter: EventFilter{From: q.From, To: q.To}, Budget: StatsEventBudget},
		func(e Event) error {
			class, _ := ClassifyEvent(e)
			if class == "" {
				return nil
			}
			k := key{class: class, idp: e.IdP}
			if class == ClassSignInRefused || class == ClassSCIMRefused {
				k.rule = e.Rule
			}
			sr := series[k]
			if sr == nil {
				sr = &Series{IdP: e.IdP, Rule: k.rule, Counts: make([]int, n)}
				series[k] = sr
			}
			i := int(e.Time.Sub(q.From) / q.Bucket)
			if i >= 0 && i < n {
				sr.Counts[i]++
				sr.Total++
			}
			return nil
		})
	if err != nil {
		return Stats{}, err
	}
	out.EventsRead, out.Truncated = end.Read, !end.Done
	for k, sr := range series {
		switch k.class {
		case ClassSignIn:
			out.SignIns = append(out.SignIns, *sr)
		case ClassSignInRefused:
			out.Refusals = append(out.Refusals, *sr)
		case ClassSCIM:
			out.SCIMOperations = append(out.SCIMOperations, *sr)
		case ClassSCIMRefused:
			out.SCIMErrors = append(out.SCIMErrors, *sr)
		}
	}
	for _, list := range [][]Series{out.SignIns, out.Refusals, out.SCIMOperations, out.SCIMErrors} {
		slices.SortFunc(list, func(a, b Series) int { return cmp.Or(cmp.Compare(a.IdP, b.IdP), cmp.Compare(a.Rule, b.Rule)) })
	}
	err = s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if out.LastSeq, err = tx.LastSeq(); err != nil {
			return err
		}
		out.Users, err = countUsers(tx, q.Org)
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	if q.Webhooks {
		hooks, err := s.Webhooks(ctx, q.Org)
		if err != nil {
			return Stats{}, err
		}
		for _, w := range hooks {
			lag := uint64(0)
			if out.LastSeq > w.State.Cursor {
				lag = out.LastSeq - w.State.Cursor
			}
			out.Webhooks = append(out.Webhooks, WebhookLag{ID: w.ID, URL: w.URL, Status: w.State.Status, Cursor: w.State.Cursor, Lag: lag})
		}
	}
	return out, nil
}

// countUsers counts the users of organization org ("" for every one) by IdP, owner and status.
func countUsers(tx ReadTx, org string) (UserCounts, error) {
	rows, err := tx.CountUserStates(org)
	if err != nil {
		return UserCounts{}, err
	}
	c := UserCounts{ByIdP: map[string]int{}, ByOwner: map[Owner]int{}, Rows: []UserCountRow{}}
	for _, r := range rows {
		if r.Count == 0 {
			continue
		}
		c.Total += r.Count
		if r.Active {
			c.Active += r.Count
		} else {
			c.Inactive += r.Count
		}
		c.ByIdP[r.IdP] += r.Count
		c.ByOwner[r.Owner] += r.Count
		c.Rows = append(c.Rows, r)
	}
	slices.SortFunc(c.Rows, func(a, b UserCountRow) int {
		return cmp.Or(cmp.Compare(a.IdP, b.IdP), cmp.Compare(a.Owner, b.Owner), cmp.Compare(boolInt(b.Active), boolInt(a.Active)))
	})
	return c, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
