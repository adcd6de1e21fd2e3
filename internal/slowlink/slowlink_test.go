package slowlink

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestLinkPassesEverythingAndCountsFlights: through the link, an echo server answers each line
// unchanged; each exchange is one flight, a pipeline of lines sent at once is one, and each
// flight waits the delay.
func TestLinkPassesEverythingAndCountsFlights(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	const delay = 20 * time.Millisecond
	l := Start(t, ln.Addr().String(), delay)
	c, err := net.Dial("tcp", l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	exchange := func(lines ...string) time.Duration {
		t.Helper()
		start := time.Now()
		if _, err := io.WriteString(c, strings.Join(lines, "")); err != nil {
			t.Fatal(err)
		}
		for _, want := range lines {
			got, err := r.ReadString('\n')
			if err != nil || got != want {
				t.Fatalf("echo of %q: %q, %v", want, got, err)
			}
		}
		return time.Since(start)
	}
	for i := range 3 {
		if took := exchange(strings.Repeat("x", i*500) + "\n"); took < delay {
			t.Errorf("exchange %d took %v, less than the delay %v", i, took, delay)
		}
	}
	exchange("a\n", "b\n", "c\n")
	if got := l.Flights.Load(); got != 4 {
		t.Errorf("%d flights counted, want 4 (three exchanges and one pipeline)", got)
	}
}
