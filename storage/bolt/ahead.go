package bolt

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// The data file is kept written ahead of bbolt's high-water mark.
//
// bbolt makes room for new pages by extending its file with ftruncate, which leaves a hole. On
// ext4, as on other file systems that allocate blocks at write-back, a commit whose pages land
// in a hole allocates blocks during its fdatasync, which must then also commit the file
// system's journal. A store that grows — new users, events and sessions go past the mark once
// the free pages are used up — paid that on most of its commits: a sign-in's data fdatasync
// took 510–660 µs, against 350–380 µs into written blocks (under strace).
//
// So a goroutine writes zeros past the mark and syncs them, ahead of the commits. It holds
// bbolt's writer lock while it writes (a writable transaction it rolls back), so no commit
// writes the file at the same time, and releases it between pieces, so commits go on between
// them. bbolt's own ftruncate then finds the file long enough and leaves it alone; backups
// (WriteTo) copy only up to the mark.

const (
	aheadMin   = 1 << 20  // the least kept written past the mark
	aheadMax   = 16 << 20 // the most: bbolt's own growth step
	aheadPiece = 1 << 20  // written and synced under one hold of the writer lock
	aheadRetry = time.Minute
)

// aheadSmallGrowth is the most a commit that grows the store may grow it, on average, for the
// file to be written ahead. Writing the zeros costs as many bytes again as the store grows,
// while what it saves is one journal commit per commit that grows it: a sign-in grows the
// store by a few kilobytes and saves 10–20% of its transaction, but a group commit of dozens
// of creates grows it by tens of kilobytes at once, and writing ahead made 32 clients'
// POST /Users 3–9% slower.
const aheadSmallGrowth = 16 << 10

// aheadOf is how far past a mark of hwm bytes the file is kept written: an eighth of the
// data, within [aheadMin, aheadMax]. It is topped up when less than half of it is left.
func aheadOf(hwm int64) int64 { return min(max(hwm/8, aheadMin), aheadMax) }

// zeros is the piece written past the mark, made when a store first writes one.
var zeros = sync.OnceValue(func() []byte { return make([]byte, aheadPiece) })

// seekHole is lseek's SEEK_HOLE: the offset of the first hole at or after an offset, the end
// of the file counting as one.
const seekHole = 4

// ahead is the state of a store's writing ahead.
type ahead struct {
	f       *os.File      // the data file, opened for writing
	wake    chan struct{} // a commit moved the mark near the end of what is written
	done    chan struct{} // closed when the goroutine has stopped
	written atomic.Int64  // the file is written up to here; pages past the mark are unused
	mark    atomic.Int64  // the high-water mark last seen by a commit
	growth  atomic.Int64  // how much a commit that moves the mark moves it, on average
	filled  atomic.Int64  // bytes of zeros written since the file was opened
	stop    atomic.Bool   // the store is closing: no further piece
	retry   time.Time     // after a failure (a full disk), no new attempt before this
}

// startAhead opens the file for writing ahead and starts the goroutine. A file that cannot be
// opened for writing only goes without: commits work as they would without it.
func (s *Store) startAhead() {
	f, err := os.OpenFile(s.path, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	a := &ahead{f: f, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ahead = a
	go func() {
		defer close(a.done)
		defer f.Close()
		for range a.wake {
			if a.stop.Load() {
				return
			}
			if time.Now().Before(a.retry) {
				continue
			}
			if err := s.fillAhead(); err != nil {
				a.retry = time.Now().Add(aheadRetry)
			}
		}
	}()
	a.wake <- struct{}{} // what bbolt left past the mark may be a hole
}

// noteMark is called after a write transaction with its size (the high-water mark as the
// transaction saw it): it wakes the goroutine when less than half of the margin is left, while
// the store grows by small commits.
func (s *Store) noteMark(hwm int64) {
	a := s.ahead
	if a == nil || a.stop.Load() {
		return
	}
	prev := a.mark.Load()
	if hwm <= prev {
		return
	}
	a.mark.Store(hwm)
	g := a.growth.Load()
	if prev > 0 {
		g += (hwm - prev - g) / 8
		a.growth.Store(g)
	}
	if g <= aheadSmallGrowth && a.written.Load() < hwm+aheadOf(hwm)/2 {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

// stopAhead stops the goroutine; it is called with the writer stopped, before the file closes.
// wake stays open: a commit of UpdateUnbatched may still note its mark meanwhile.
func (s *Store) stopAhead() {
	if a := s.ahead; a != nil {
		a.stop.Store(true)
		select {
		case a.wake <- struct{}{}:
		default:
		}
		<-a.done
	}
}

// fillAhead writes zeros past the mark, one piece per hold of the writer lock, until the file is
// written aheadOf(mark) past it.
func (s *Store) fillAhead() error {
	a := s.ahead
	for !a.stop.Load() {
		done, err := s.fillPiece(a)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// fillPiece writes and syncs one piece under the writer lock. It reports done when the file
// is already written far enough.
func (s *Store) fillPiece(a *ahead) (done bool, err error) {
	tx, err := s.db.Begin(true)
	if err != nil {
		return true, err
	}
	defer tx.Rollback()
	hwm := tx.Size()
	if a.written.Load() == 0 {
		// The first piece since the file was opened: what an earlier run wrote past the mark
		// is written already, up to the first hole after it.
		if end, err := a.f.Seek(hwm, seekHole); err == nil {
			a.written.Store(end)
		}
	}
	from := max(a.written.Load(), hwm)
	if from >= hwm+aheadOf(hwm) {
		return true, nil
	}
	n, err := a.f.WriteAt(zeros(), from)
	if err == nil {
		err = a.f.Sync()
	}
	if err != nil {
		return true, err
	}
	a.written.Store(from + int64(n))
	a.filled.Add(int64(n))
	return false, nil
}
