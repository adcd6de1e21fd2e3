package directory

import (
	"context"
	"strings"
	"time"
)

// EventFilter selects events of the log. Every field that is set must match; the zero value
// matches every event.
type EventFilter struct {
	// ID is an event id: the reference a refused person reads out.
	ID string
	// Types are event types; "user.*" matches every type that starts with "user.".
	Types []string
	IdP   string
	Rule  Rule
	// Actor matches the actor exactly ("scim:3f2a…"), a kind of actor with a trailing colon
	// ("scim:"), or, case-insensitively, the actor's name as ActorName gives it.
	Actor   string
	Subject string
	// From and To bound the event's time, From inclusive, To exclusive; zero is unbounded.
	From, To time.Time
	// ActorName resolves an actor to its name for the Actor filter; nil matches no names.
	ActorName func(actor string) string
}

// Match reports whether e is selected.
func (f EventFilter) Match(e Event) bool {
	if f.ID != "" && e.ID != f.ID {
		return false
	}
	if len(f.Types) > 0 && !matchType(f.Types, e.Type) {
		return false
	}
	if f.IdP != "" && e.IdP != f.IdP {
		return false
	}
	if f.Rule != "" && !strings.EqualFold(string(e.Rule), string(f.Rule)) {
		return false
	}
	if f.Subject != "" && e.Subject != f.Subject {
		return false
	}
	if !f.From.IsZero() && e.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		return false
	}
	if f.Actor != "" && !f.matchActor(e.Actor) {
		return false
	}
	return true
}

func (f EventFilter) matchActor(actor string) bool {
	switch {
	case actor == f.Actor:
		return true
	case strings.HasSuffix(f.Actor, ":") && strings.HasPrefix(actor, f.Actor):
		return true
	case f.ActorName != nil:
		return strings.EqualFold(f.ActorName(actor), f.Actor)
	}
	return false
}

func matchType(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == typ || (strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(p, "*"))) {
			return true
		}
	}
	return false
}

// EventScan is a read of the event log for SearchEvents.
type EventScan struct {
	// Org limits the read to one organization's events, from its index; "" reads every event.
	Org    string
	Filter EventFilter
	// Descending reads newest first, from Before (exclusive; 0 from the end of the log);
	// otherwise oldest first, from After (exclusive).
	Descending    bool
	After, Before uint64
	// Budget bounds how many events are read, matched or not; 0 reads until the end of the
	// range. A search that matches nothing then cannot read the whole log in one request.
	Budget int
}

// EventScanEnd is where a scan stopped.
type EventScanEnd struct {
	// Last is the seq of the last event read (matched or not); a scan goes on from it with
	// After (ascending) or Before (descending) set to it.
	Last uint64
	// Done says the scan reached the end of its range: there is nothing more to read.
	Done bool
	// Read is how many events were read.
	Read int
}

// eventChunk is how many events one store read returns.
const eventChunk = 1000

// SearchEvents calls fn with each event that q selects, in the order q asks for, until fn
// returns ErrStopScan (or another error, which it returns), the range ends, or the budget is
// spent. Time bounds are found by a binary search over the sequence numbers, since events are
// written in time order, so that a search of last week does not read the year before it. The
// log is read in chunks, each in its own read transaction, so that an export of the whole log
// holds no transaction open while its reader is slow.
func (s *Service) SearchEvents(ctx context.Context, q EventScan, fn func(Event) error) (EventScanEnd, error) {
	var end EventScanEnd
	var lo, hi uint64 // the seq range to read: lo < seq < hi
	err := s.store.View(ctx, func(tx ReadTx) error {
		last, err := tx.LastSeq()
		if err != nil {
			return err
		}
		lo, hi = 0, last+1
		if !q.Filter.From.IsZero() {
			first, err := firstAtOrAfter(tx, q.Filter.From, last)
			if err != nil {
				return err
			}
			lo = first - 1
		}
		if !q.Filter.To.IsZero() {
			if hi, err = firstAtOrAfter(tx, q.Filter.To, last); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return end, err
	}
	if q.Descending {
		if q.Before != 0 && q.Before < hi {
			hi = q.Before
		}
	} else if q.After > lo {
		lo = q.After
	}
	cursor := lo
	if q.Descending {
		cursor = hi
	}
	end.Last = cursor
	for {
		if err := ctx.Err(); err != nil {
			return end, err
		}
		if hi <= lo+1 {
			end.Done = true
			return end, nil
		}
		var evs []Event
		err := s.store.View(ctx, func(tx ReadTx) error {
			var err error
			if q.Descending {
				from := lo
				if hi > eventChunk && hi-eventChunk > lo {
					from = hi - eventChunk - 1
				}
				evs, err = eventsOf(tx, q.Org, from, eventChunk)
				// Keep those below hi, newest first.
				kept := evs[:0]
				for _, e := range evs {
					if e.Seq < hi {
						kept = append(kept, e)
					}
				}
				evs = kept
				for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
					evs[i], evs[j] = evs[j], evs[i]
				}
				if len(evs) == 0 {
					// Nothing of the organization in this stretch of the log: go on below it.
					hi = from + 1
				}
				return err
			}
			evs, err = eventsOf(tx, q.Org, lo, eventChunk)
			return err
		})
		if err != nil {
			return end, err
		}
		if len(evs) == 0 {
			if !q.Descending {
				end.Done = true
				return end, nil
			}
			end.Last = hi
			continue
		}
		for _, e := range evs {
			if (!q.Descending && e.Seq >= hi) || (q.Descending && e.Seq <= lo) {
				end.Done = true
				return end, nil
			}
			end.Read++
			end.Last = e.Seq
			if q.Descending {
				hi = e.Seq
			} else {
				lo = e.Seq
			}
			if q.Filter.Match(e) {
				if err := fn(e); err == ErrStopScan {
					return end, nil
				} else if err != nil {
					return end, err
				}
			}
			if q.Budget > 0 && end.Read >= q.Budget {
				end.Done = hi <= lo+1
				return end, nil
			}
		}
	}
}

// eventsOf reads up to limit events with seq > after, of organization org or of every one.
func eventsOf(tx ReadTx, org string, after uint64, limit int) ([]Event, error) {
	if org == "" {
		return tx.Events(after, limit)
	}
	return tx.OrgEvents(org, after, limit)
}

// firstAtOrAfter is the seq of the first event written at or after t, or last+1 if there is
// none: a binary search over the log, whose events are in time order.
func firstAtOrAfter(tx ReadTx, t time.Time, last uint64) (uint64, error) {
	lo, hi := uint64(1), last+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		evs, err := tx.Events(mid-1, 1)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			hi = mid
			continue
		}
		if evs[0].Time.Before(t) {
			lo = evs[0].Seq + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}
