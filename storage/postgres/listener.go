package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener holds one connection of its own, outside the pool, that LISTENs on the schema's
// event channel and calls the subscribers for every notification: a numbering transaction of
// any replica has made events readable. It starts with the first subscriber, so a store that
// nobody waits on holds no extra connection.
//
// A notification can be missed while the connection is being re-established; the subscribers
// are called after every reconnection for that reason, and waiters keep a slow poll besides.
type listener struct {
	config  *pgx.ConnConfig
	channel string

	mu      sync.Mutex
	subs    []func()
	started bool
	stop    chan struct{}
	stopped chan struct{}
}

func newListener(config *pgx.ConnConfig, channel string) *listener {
	return &listener{config: config, channel: channel, stop: make(chan struct{}), stopped: make(chan struct{})}
}

// subscribe adds fn, called from the listener's goroutine after each notification; fn must
// not block.
func (l *listener) subscribe(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs = append(l.subs, fn)
	if !l.started {
		l.started = true
		go l.loop()
	}
}

func (l *listener) notify() {
	l.mu.Lock()
	subs := l.subs
	l.mu.Unlock()
	for _, fn := range subs {
		fn()
	}
}

func (l *listener) loop() {
	defer close(l.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-l.stop
		cancel()
	}()
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// listen connects, LISTENs and delivers notifications until the connection fails or ctx ends.
func (l *listener) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, l.config.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return err
	}
	// Whatever was numbered while no connection listened is readable now.
	l.notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		l.notify()
	}
}

// close stops the listener, if it started.
func (l *listener) close() {
	l.mu.Lock()
	started := l.started
	l.started = true // no start after close
	l.mu.Unlock()
	close(l.stop)
	if started {
		<-l.stopped
	}
}
