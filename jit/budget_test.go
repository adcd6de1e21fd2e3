package jit

import (
	"testing"
	"time"
)

// TestRefusalBudget: each IdP records at most refusalsPerMinute protocol refusals a minute; one
// IdP spending its budget leaves another's, and the next minute starts afresh.
func TestRefusalBudget(t *testing.T) {
	var b refusalBudget
	now := time.Date(2026, 11, 29, 8, 0, 10, 0, time.UTC)
	for i := range refusalsPerMinute {
		if !b.take("acme", now) {
			t.Fatalf("refusal %d refused within the budget", i+1)
		}
	}
	if b.take("acme", now.Add(40*time.Second)) {
		t.Error("a refusal past the budget was allowed")
	}
	if !b.take("other", now) {
		t.Error("another IdP's budget was spent by acme")
	}
	if !b.take("acme", now.Add(50*time.Second)) {
		t.Error("the next minute did not start afresh")
	}
}
