package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector"
)

// Plan closures (collector.Store.SetClosure) live in a bucket of their own, one record
// per close or reopen, never changed:
//
//	closures  plan 0x00 seq (8 bytes)
//	          → version byte (1), JSON {closed, by, at, reason},
//	            CRC-32C of the key and those bytes (4 bytes, big endian)
//
// The bucket is created by the first closure, so the format stays 6: a store without it
// has no plan closed, which is what a build before closures reads from any store (it
// ignores the bucket). A rollback to such a build therefore reopens every plan — it
// knows nothing of closing — and loses no record: the bucket is there for the next
// upgrade. A format bump would instead refuse the rollback for stores that never closed
// a plan. Closures are a handful of human actions: Closures reads the whole bucket.
var bucketClosures = []byte("closures")

const closureV1 = 1

type closureRecord struct {
	Closed bool      `json:"closed"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

func closureKey(plan string, seq uint64) []byte {
	b := make([]byte, 0, len(plan)+9)
	b = append(b, plan...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, seq)
}

func encodeClosure(key []byte, rec closureRecord) []byte { return sealRecord(key, closureV1, rec) }

// decodeClosure verifies and decodes the closure stored under key.
func decodeClosure(key, v []byte) (collector.Closure, uint64, error) {
	i := bytes.IndexByte(key, 0)
	if i < 0 || len(key)-i-1 != 8 {
		return collector.Closure{}, 0, damaged("closure key %q does not name a plan and a sequence number", key)
	}
	plan, seq := string(key[:i]), binary.BigEndian.Uint64(key[i+1:])
	var rec closureRecord
	if problem := openRecord(key, v, closureV1, &rec); problem != "" {
		return collector.Closure{}, 0, damaged("the closure of plan %s (record %d) %s", plan, seq, problem)
	}
	return collector.Closure{Plan: plan, Closed: rec.Closed, By: rec.By, At: rec.At, Reason: rec.Reason}, seq, nil
}

// SetClosure implements collector.Store: one transaction of its own.
func (s *Store) SetClosure(ctx context.Context, c collector.Closure) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case c.Plan == "":
		return fmt.Errorf("%w: a closure needs a plan", ErrInvalid)
	case strings.IndexByte(c.Plan, 0) >= 0:
		return fmt.Errorf("%w: NUL byte in the plan of a closure", ErrInvalid)
	case len(c.Plan)+9 > bolt.MaxKeySize:
		return fmt.Errorf("%w: closure key longer than %d bytes", ErrInvalid, bolt.MaxKeySize)
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.inflight.Done()
	if err := s.damage.err(); err != nil {
		return err
	}
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketClosures)
		if err != nil {
			return err
		}
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		key := closureKey(c.Plan, n)
		return b.Put(key, encodeClosure(key, closureRecord{Closed: c.Closed, By: c.By, At: c.At.UTC(), Reason: c.Reason}))
	})
	if err != nil {
		return fmt.Errorf("boltstore: store the closure of plan %s: %w", c.Plan, err)
	}
	return nil
}

// Closures implements collector.Store: one walk of the closures bucket.
func (s *Store) Closures(ctx context.Context) ([]collector.Closure, error) {
	out := []collector.Closure{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = readClosures(tx)
		if err != nil {
			s.damage.report("closures", err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readClosures reads the record in force of every plan: the latest by At, the later
// written (higher sequence) on a tie.
func readClosures(tx *bolt.Tx) ([]collector.Closure, error) {
	out := []collector.Closure{}
	b := tx.Bucket(bucketClosures)
	if b == nil {
		return out, nil
	}
	type best struct {
		c   collector.Closure
		seq uint64
	}
	by := map[string]best{}
	err := b.ForEach(func(k, v []byte) error {
		c, seq, err := decodeClosure(k, v)
		if err != nil {
			return err
		}
		if o, ok := by[c.Plan]; !ok || c.At.After(o.c.At) || (c.At.Equal(o.c.At) && seq > o.seq) {
			by[c.Plan] = best{c, seq}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range by {
		out = append(out, b.c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Plan < out[j].Plan })
	return out, nil
}
