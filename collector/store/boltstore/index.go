package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// historyIndex maps each indicator to the sequence numbers of its records, in order.
// It lives in memory only (8 bytes per revision): persisting it would dirty one page
// per indicator in every commit, which is what made fsyncs slow. It is built by a
// scan of the revisions bucket in the background after Open (so start-up reads only
// the latest pointers) and then kept current by the writer after each commit.
type historyIndex struct {
	ready chan struct{} // closed when the scan is done
	mu    sync.RWMutex
	err   error                // the scan's failure, if any
	built bool                 // scan merged
	upTo  uint64               // highest sequence number the scan saw
	seqs  map[string]*[]uint64 // indicator → sequence numbers, ascending
}

var errStopped = errors.New("store closed during the scan")

type indexEntry struct {
	indicator string
	seq       uint64
}

func newHistoryIndex() *historyIndex {
	return &historyIndex{ready: make(chan struct{}), seqs: map[string]*[]uint64{}}
}

// build scans the revisions bucket and merges what the writer added meanwhile.
func (x *historyIndex) build(db *bolt.DB, stop <-chan struct{}) {
	defer close(x.ready)
	scanned := map[string]*[]uint64{}
	var last uint64
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRevisions).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("revision key %q: %w", k, errCorrupt)
			}
			ind, err := indicatorOf(v)
			if err != nil {
				return fmt.Errorf("record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			last = binary.BigEndian.Uint64(k)
			if last%4096 == 0 {
				select {
				case <-stop:
					return errStopped
				default:
				}
			}
			if l, ok := scanned[string(ind)]; ok {
				*l = append(*l, last)
			} else {
				scanned[string(ind)] = &[]uint64{last}
			}
		}
		return nil
	})
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil {
		x.err = fmt.Errorf("boltstore: index history: %w", err)
		return
	}
	// Commits that ended during the scan were added by the writer; keep those the scan
	// did not see (sequence numbers above the last one it saw).
	for ind, live := range x.seqs {
		i, _ := slices.BinarySearch(*live, last+1)
		if i == len(*live) {
			continue
		}
		if l, ok := scanned[ind]; ok {
			*l = append(*l, (*live)[i:]...)
		} else {
			rest := slices.Clone((*live)[i:])
			scanned[ind] = &rest
		}
	}
	x.seqs, x.upTo, x.built = scanned, last, true
}

// add records committed entries (ascending sequence numbers).
func (x *historyIndex) add(entries []indexEntry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range entries {
		if x.built && e.seq <= x.upTo {
			continue
		}
		if l, ok := x.seqs[e.indicator]; ok {
			*l = append(*l, e.seq)
		} else {
			x.seqs[e.indicator] = &[]uint64{e.seq}
		}
	}
}

// lookup returns a copy of one indicator's sequence numbers, waiting for the scan.
func (x *historyIndex) lookup(ctx context.Context, indicator string) ([]uint64, error) {
	select {
	case <-x.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.err != nil {
		return nil, x.err
	}
	if l, ok := x.seqs[indicator]; ok {
		return slices.Clone(*l), nil
	}
	return nil, nil
}
