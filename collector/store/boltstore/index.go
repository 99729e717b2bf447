package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime/debug"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// memIndex is what the store finds through memory rather than through keys on disk:
// each indicator's sequence numbers (for History, 8 bytes per revision) and the
// sequence number of each idempotency key (about 30 bytes per keyed revision).
// Persisting either would dirty one more page per indicator or per key in every
// commit, and an fsync costs about 20 µs per dirty page here.
//
// It is built by one scan of the revisions bucket in the background after Open, so
// that start-up reads only the latest pointers; the writer waits for the scan before
// its first commit and afterwards adds what each commit stored, so the index never
// misses nor doubles a record.
type memIndex struct {
	ready chan struct{} // closed when the scan is done
	seed  maphash.Seed

	mu       sync.RWMutex
	err      error                // the scan's failure: the store cannot work
	last     uint64               // the highest sequence number indexed
	history  map[string]*[]uint64 // series (seriesKey) → sequence numbers, ascending
	idem     map[uint64]uint64    // hash of sender\x00key → sequence number
	idemMore map[uint64][]uint64  // further sequence numbers when hashes collide
}

type indexEntry struct {
	series  string // seriesKey(plan, indicator)
	seq     uint64
	idemKey string // sender\x00key, or empty
}

var errStopped = errors.New("store closed during the scan")

func newMemIndex() *memIndex {
	return &memIndex{
		ready:    make(chan struct{}),
		seed:     maphash.MakeSeed(),
		history:  map[string]*[]uint64{},
		idem:     map[uint64]uint64{},
		idemMore: map[uint64][]uint64{},
	}
}

// build scans the revisions bucket, verifying every record's checksum; stop makes it
// give up. A damaged record is reported (and so the store takes no writes) and, when
// its bytes still name an indicator, indexed under it so that History of that
// indicator reports it instead of leaving it out; its idempotency key is not trusted.
func (x *memIndex) build(db *bolt.DB, stop <-chan struct{}, report func(key string, err error)) {
	defer close(x.ready)
	debug.SetPanicOnFault(true) // this goroutine only: a fault in the mapped file is an error
	var ik []byte
	err := safeView(db, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRevisions)
		// The sequence counts every revision stored: room for all their keys at once
		// instead of growing the map a dozen times.
		x.idem = make(map[uint64]uint64, min(b.Sequence(), 1<<24))
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				report(fmt.Sprintf("revision key %x", k), damaged("revision key %x is not a sequence number", k))
				continue
			}
			seq := binary.BigEndian.Uint64(k)
			x.last = seq
			if seq%4096 == 0 {
				select {
				case <-stop:
					return errStopped
				default:
				}
			}
			plan, ind, sender, key, err := scanRecord(seq, v)
			if err != nil {
				e := recordError(seq, v, "", "", "", err)
				report(e.key(), e)
				if e.Indicator != "" {
					x.addHistory(seriesKey(e.Plan, e.Indicator), seq)
				}
				continue
			}
			x.addHistory(seriesKey(string(plan), string(ind)), seq)
			if len(key) > 0 {
				ik = append(append(append(ik[:0], sender...), 0), key...)
				x.addKey(maphash.Bytes(x.seed, ik), seq)
			}
		}
		return nil
	})
	if err != nil {
		x.mu.Lock()
		x.err = fmt.Errorf("boltstore: index the stored revisions: %w", err)
		x.mu.Unlock()
	}
}

func (x *memIndex) addHistory(series string, seq uint64) {
	if l, ok := x.history[series]; ok {
		*l = append(*l, seq)
	} else {
		x.history[series] = &[]uint64{seq}
	}
}

func (x *memIndex) addKey(h, seq uint64) {
	if _, taken := x.idem[h]; taken {
		x.idemMore[h] = append(x.idemMore[h], seq)
		return
	}
	x.idem[h] = seq
}

// done reports whether the scan has finished.
func (x *memIndex) done() bool {
	select {
	case <-x.ready:
		return true
	default:
		return false
	}
}

// failed waits for the scan and reports its failure.
func (x *memIndex) failed() error {
	<-x.ready
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.err
}

// add records what a commit stored (ascending sequence numbers).
func (x *memIndex) add(entries []indexEntry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range entries {
		x.addHistory(e.series, e.seq)
		x.last = max(x.last, e.seq)
		if e.idemKey != "" {
			x.addKey(maphash.String(x.seed, e.idemKey), e.seq)
		}
	}
}

// idemCandidates are the records that may hold the idempotency key ik; the caller
// compares. Only the writer calls it, after the scan.
func (x *memIndex) idemCandidates(ik string) []uint64 {
	h := maphash.String(x.seed, ik)
	x.mu.RLock()
	defer x.mu.RUnlock()
	first, ok := x.idem[h]
	if !ok {
		return nil
	}
	return append([]uint64{first}, x.idemMore[h]...)
}

// lookup returns a copy of one series' sequence numbers and the highest sequence
// number indexed (records after it are not indexed yet), waiting for the scan.
func (x *memIndex) lookup(ctx context.Context, series string) ([]uint64, uint64, error) {
	select {
	case <-x.ready:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.err != nil {
		return nil, 0, x.err
	}
	if l, ok := x.history[series]; ok {
		return slices.Clone(*l), x.last, nil
	}
	return nil, x.last, nil
}
