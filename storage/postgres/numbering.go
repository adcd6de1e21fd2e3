package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event numbering. A writing transaction stores its events without a sequence number, in
// arrival order, and commits without waiting for any other writer. Numbering runs afterwards,
// in a transaction of its own: under an advisory lock that numbering transactions of every
// replica take in turn, it gives the committed events that have no number yet the next numbers
// of event_seq, in arrival order, and notifies every replica listening (listener.go).
//
// Why this keeps the log gap-free and ordered for readers: only numbering transactions assign
// numbers, one at a time, each continuing where the last committed one stopped, and a number is
// never given to an event that might still roll back (it is committed before numbering can see
// it). A numbering transaction makes its numbers visible all at once when it commits, after
// every earlier one. A reader's snapshot therefore holds numbers 1 to n for some n and nothing
// beyond; events appear only at the end of the log. Writers no longer meet on one row:
// numbering takes the lock for one statement and a commit, and numbers whatever every writer
// has committed meanwhile in that one go.
//
// Update waits for a numbering run that started after its commit before it returns, so a
// caller reads its own events as it did when numbers were taken inside the transaction. Runs
// are shared: one run numbers the events of every writer that was waiting when it started.

// numberEvents is the numbering statement. It runs under the advisory lock, in a statement
// that starts after the lock is held, so it sees the counter and the events as the previous
// numbering transaction left them. It numbers every committed event that has no number yet,
// transaction by transaction in the order of their first arrival, so that the events of one
// transaction stay together and in their order, as on the embedded store.
const numberEvents = `
WITH pending AS (
	SELECT arrival, min(arrival) OVER (PARTITION BY xmin::text) AS first
	FROM events WHERE seq IS NULL
), ordered AS (
	SELECT arrival, row_number() OVER (ORDER BY first, arrival) AS n FROM pending
), numbered AS (
	UPDATE events e SET seq = c.seq + o.n
	FROM ordered o, event_seq c
	WHERE e.arrival = o.arrival AND e.seq IS NULL
	RETURNING e.seq
), counter AS (
	UPDATE event_seq SET seq = seq + (SELECT count(*) FROM numbered)
	WHERE EXISTS (SELECT FROM numbered)
	RETURNING seq
)
SELECT seq, pg_notify($1, seq::text) FROM counter`

// numberingLock serialises numbering transactions of every replica of one schema.
const numberingLock = `SELECT pg_advisory_xact_lock(hashtextextended('roster event numbering ' || current_schema(), 0))`

// sweepInterval is how often numbering runs with nobody asking, so that the events of a
// replica that stopped between its commit and their numbering are numbered all the same.
const sweepInterval = 2 * time.Second

// numbering runs the numbering transactions of one Store, one at a time, on a connection of
// its own: writers waiting for their events to be numbered must not have to wait for the
// pool's connections too, which other writers hold.
type numbering struct {
	config  *pgx.ConnConfig
	channel string
	conn    *pgx.Conn // nil until the first run, and after a failure

	mu sync.Mutex
	// asked counts the requests; a run started when asked was n serves requests up to n.
	asked, served uint64
	// busy is set while the loop runs a numbering transaction.
	busy    bool
	ran     chan struct{} // closed and replaced after each run
	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

func newNumbering(config *pgx.ConnConfig, channel string) *numbering {
	n := &numbering{config: config, channel: channel, ran: make(chan struct{}), kick: make(chan struct{}, 1),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go n.loop()
	return n
}

// await returns once a numbering run that started after the call has ended. A run that fails
// is not reported: the caller's transaction has committed, and its events are numbered by the
// next run of any replica (or the sweep).
func (n *numbering) await(ctx context.Context) {
	n.mu.Lock()
	n.asked++
	want := n.asked
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
	for {
		n.mu.Lock()
		done, ran := n.served >= want, n.ran
		n.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ran:
		case <-ctx.Done():
			return
		case <-n.stopped:
			return
		}
	}
}

func (n *numbering) loop() {
	defer close(n.stopped)
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-n.kick:
		case <-sweep.C:
		}
		n.mu.Lock()
		upTo := n.asked
		n.busy = true
		n.mu.Unlock()
		n.run()
		n.mu.Lock()
		n.served, n.busy = upTo, false
		close(n.ran)
		n.ran = make(chan struct{})
		n.mu.Unlock()
	}
}

// idle reports whether no numbering runs or waits to run here. A writer that appended events
// then numbers them itself, in the round trip of its commit (txn.commit), rather than handing
// them to the loop and waiting for it: a lone writer saves the hand-over and a round trip,
// while concurrent writers share the loop's runs.
func (n *numbering) idle() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.busy && n.asked == n.served
}

// run numbers every committed event that has none. A failure is left to the next run.
func (n *numbering) run() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = n.runOnce(ctx)
}

// runOnce is one numbering transaction, sent in one round trip: begin, take the lock, number,
// commit.
func (n *numbering) runOnce(ctx context.Context) error {
	if n.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, n.config.Copy())
		if err != nil {
			return err
		}
		n.conn = conn
	}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	b.Queue(numberingLock)
	b.Queue(numberEvents, n.channel)
	b.Queue(`COMMIT`)
	br := n.conn.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		var last int64
		err = br.QueryRow().Scan(&last, nil)
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A failed statement leaves the transaction open and aborted: the connection is
		// closed, which rolls it back, and the next run connects again.
		n.conn.Close(context.Background())
		n.conn = nil
		return err
	}
	return nil
}

// close stops the numbering loop, waiting for a run in progress, and closes its connection.
func (n *numbering) close() {
	close(n.stop)
	<-n.stopped
	if n.conn != nil {
		n.conn.Close(context.Background())
	}
}
