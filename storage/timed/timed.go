package timed

import (
	"context"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Store is a directory.Store whose Update calls are timed; everything else is the wrapped
// store's.
type Store struct {
	directory.Store
	observe func(d time.Duration, err error)
}

var _ directory.Store = (*Store)(nil)

// New wraps st: observe is called after each Update with its duration and its error.
func New(st directory.Store, observe func(d time.Duration, err error)) *Store {
	return &Store{Store: st, observe: observe}
}

// Update runs fn in a write transaction of the wrapped store and reports how long it took.
func (s *Store) Update(ctx context.Context, fn func(tx directory.Tx) error) error {
	start := time.Now()
	err := s.Store.Update(ctx, fn)
	s.observe(time.Since(start), err)
	return err
}
