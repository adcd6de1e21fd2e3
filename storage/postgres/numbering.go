package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event numbering. A writing transaction puts its events in event_inbox, in arrival order, and
// commits without waiting for any other writer. Numbering runs afterwards, in a transaction of
// its own: under an advisory lock that numbering transactions of every replica take in turn,
// it moves the committed events of the inbox into events under the next numbers of event_seq,
// and notifies every replica listening (listener.go).
//
// Why this keeps the log gap-free and ordered for readers: only numbering transactions assign
// numbers, one at a time, each continuing where the last committed one stopped, and a number is
// never given to an event that might still roll back (it is committed before numbering can see
// it). A numbering transaction makes its numbers visible all at once when it commits, after
// every earlier one. A reader's snapshot therefore holds numbers 1 to n for some n and nothing
// beyond; events appear only at the end of the log. Writers no longer meet on one row:
// numbering takes the lock for one statement and a commit, and numbers whatever every writer
// has committed meanwhile in that one go. Each event is written to events once, numbered; the
// inbox, which holds only what awaits numbering, is vacuumed by numbering itself now and then,
// so that it stays small whatever the database's autovacuum settings.
//
// Update waits for a numbering run that started after its commit before it returns, so a
// caller reads its own events as it did when numbers were taken inside the transaction. Runs
// are shared: one run numbers the events of every writer that was waiting when it started,
// and a writer for whom no run is under way numbers its events itself, in its commit's round
// trip (txn.commit).

// numberEvents is the numbering statement. It runs under the advisory lock, in a statement
// that starts after the lock is held, so it sees the counter and the inbox as the previous
// numbering transaction left them. It numbers every committed event of the inbox, transaction
// by transaction in the order of their first arrival, so that the events of one transaction
// stay together and in their order, as on the embedded store. (The counter is read by a
// subquery, not joined: PostgreSQL knows nothing of the one-row table's size, and the estimate
// of a join with it could exceed the cost at which it compiles the query, for hundreds of
// milliseconds, every time.)
const numberEvents = `
WITH moved AS (
	DELETE FROM event_inbox RETURNING arrival, tx, time, type, doc, org
), firsts AS (
	SELECT *, min(arrival) OVER (PARTITION BY tx) AS first FROM moved
), numbered AS (
	INSERT INTO events (seq, time, type, doc, org)
	SELECT (SELECT seq FROM event_seq) + row_number() OVER (ORDER BY first, arrival), time, type, doc, org
	FROM firsts
	RETURNING seq
), counter AS (
	UPDATE event_seq SET seq = seq + (SELECT count(*) FROM numbered)
	WHERE EXISTS (SELECT FROM numbered)
	RETURNING seq
)
SELECT seq, (SELECT count(*) FROM numbered), pg_notify($1, seq::text) FROM counter`

// vacuumEvery is how many events numbering moves out of the inbox before it vacuums it.
const vacuumEvery = 2000

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
	// busy is set while the loop runs a numbering transaction, leading while a writer numbers
	// its events itself (lead).
	busy, leading bool
	// lastServed and lastRun are how many requests the last run served and how long it took.
	lastServed uint64
	lastRun    time.Duration
	// sinceVacuum counts the events moved out of the inbox since it was vacuumed.
	sinceVacuum int64
	ran         chan struct{} // closed and replaced after each run
	kick        chan struct{}
	stop        chan struct{}
	stopped     chan struct{}
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
		n.gather()
		n.mu.Lock()
		upTo := n.asked
		n.busy = true
		n.mu.Unlock()
		start := time.Now()
		n.run()
		n.mu.Lock()
		n.lastServed, n.lastRun = upTo-n.served, time.Since(start)
		n.served, n.busy = upTo, false
		close(n.ran)
		n.ran = make(chan struct{})
		n.mu.Unlock()
	}
}

// gather waits, when the last run served several writers (which then come back with more
// events), for the requests to stop growing, at most half as long as that run took and
// maxGather: a run costs a commit, whatever it numbers, so concurrent writers are best served
// by fewer runs that number more. A lone writer's request is run at once.
func (n *numbering) gather() {
	n.mu.Lock()
	served, last := n.lastServed, n.lastRun
	n.mu.Unlock()
	if served < 2 {
		return
	}
	deadline := time.Now().Add(min(last/2, maxGather))
	for time.Now().Before(deadline) {
		n.mu.Lock()
		before := n.asked
		n.mu.Unlock()
		time.Sleep(gatherStep)
		n.mu.Lock()
		grew := n.asked > before
		n.mu.Unlock()
		if !grew {
			return
		}
	}
}

// maxGather bounds the wait of gather; gatherStep is how long a lull must last to end it.
const (
	maxGather  = 3 * time.Millisecond
	gatherStep = 200 * time.Microsecond
)

// lead makes the calling writer number its events itself, in the round trip of its commit
// (txn.commit), when no numbering runs or waits to run here, nor another writer does so: a
// lone writer then saves the hand-over to the loop and a round trip, while concurrent writers
// share the loop's runs. A writer that leads calls follow when its commit is done.
func (n *numbering) lead() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.busy || n.leading || n.asked != n.served {
		return false
	}
	n.leading = true
	return true
}

// follow ends what lead began; moved is how many events the writer's numbering numbered.
func (n *numbering) follow(moved int64) {
	n.mu.Lock()
	n.leading = false
	n.sinceVacuum += moved
	n.mu.Unlock()
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

// runOnce is one numbering transaction, sent in one round trip.
func (n *numbering) runOnce(ctx context.Context) error {
	if n.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, n.config.Copy())
		if err != nil {
			return err
		}
		n.conn = conn
	}
	b := &pgx.Batch{}
	queueNumbering(b, n.channel)
	br := n.conn.SendBatch(ctx, b)
	moved, err := readNumbering(br)
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
	n.moved(moved)
	if n.vacuumDue() {
		// Outside any transaction, as VACUUM must be; a failure is left to the next time. The
		// table is not truncated: that would wait for a lock that writers, inserting all the
		// time, hold (the table is marked so for autovacuum too).
		if _, err := n.conn.Exec(ctx, `VACUUM (TRUNCATE false) event_inbox`); err == nil {
			n.vacuumed()
		}
	}
	return nil
}

// moved counts events numbered since the inbox was last vacuumed, here or by a writer's
// commit.
func (n *numbering) moved(count int64) {
	n.mu.Lock()
	n.sinceVacuum += count
	n.mu.Unlock()
}

func (n *numbering) vacuumDue() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sinceVacuum >= vacuumEvery
}

func (n *numbering) vacuumed() {
	n.mu.Lock()
	n.sinceVacuum = 0
	n.mu.Unlock()
}

// queueNumbering queues a numbering transaction: begin, take the lock, number, commit.
func queueNumbering(b *pgx.Batch, channel string) {
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	b.Queue(numberingLock)
	b.Queue(numberEvents, channel)
	b.Queue(`COMMIT`)
}

// readNumbering reads the results of queueNumbering's statements and returns how many events
// were numbered.
func readNumbering(br pgx.BatchResults) (int64, error) {
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return 0, err
		}
	}
	var last, moved int64
	if err := br.QueryRow().Scan(&last, &moved, nil); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	_, err := br.Exec()
	return moved, err
}

// close stops the numbering loop, waiting for a run in progress, and closes its connection.
func (n *numbering) close() {
	close(n.stop)
	<-n.stopped
	if n.conn != nil {
		n.conn.Close(context.Background())
	}
}
