package admin

import (
	"fmt"
	"testing"
	"time"
)

// TestFailureLimiterIsBounded: a flood of failures from ever new addresses must not grow the
// table without end.
func TestFailureLimiterIsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newFailureLimiter(3, time.Minute, func() time.Time { return now })
	for i := range maxEntries + 500 {
		l.fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if n := len(l.byAddr); n > maxEntries {
		t.Errorf("%d entries, want at most %d", n, maxEntries)
	}
	// The newest address is still counted.
	l.fail("10.0.0.250")
	l.fail("10.0.0.250")
	l.fail("10.0.0.250")
	if _, blocked := l.blocked("10.0.0.250"); !blocked {
		t.Errorf("an address that failed 3 times is not blocked")
	}
	// Once the window has passed, everyone starts afresh.
	now = now.Add(time.Minute)
	if _, blocked := l.blocked("10.0.0.250"); blocked {
		t.Errorf("still blocked after the window")
	}
}
