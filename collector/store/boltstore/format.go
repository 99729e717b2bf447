package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The store header and its format version.
//
// The meta bucket holds the header, written in the transaction that creates the store:
//
//	meta/header  JSON {"store":"duban","format":4,"created_at":"…","migrations":[…]}
//	             followed by the CRC-32C of the JSON (4 bytes, big endian)
//	meta/format  the format number in decimal ("4"), as builds before the header read it
//	             (they refuse any format but their own, so they refuse this one)
//
// A file without the header is not a duban store, unless it is a store of format 3
// (meta/format "3" beside the revisions and latest buckets, written before the header
// existed), which Open migrates. The header carries a checksum like the records, so
// that a flipped bit in "format" cannot pass for a store written by a newer duban.
//
// Formats: 1 and 2 were development builds (records keyed by indicator, an
// idempotency bucket) and are refused. 3 is the first released layout, records without
// checksums. 4 adds the CRC-32C trailer to every record (codec.go) and the header. 5
// adds the reviews bucket (reviews.go); the step creates it, empty, and rewrites nothing.
// 6 keeps the plan with every record (record version 3), keys the latest pointers and
// the reviews by plan, indicator and period; the step assigns everything to the plan
// Open is given (Config.DefaultPlan).
//
// Migrations: migrations[n] turns a store of format n into format n+1 inside the
// write transaction that Open runs when the file is older than formatCurrent. All
// steps and the new header commit in that one transaction, so a process killed
// during a migration leaves the file as it was, and the next start migrates again.
// A later format adds its step here and raises formatCurrent.
const (
	formatCurrent = 6
	formatOldest  = 3 // the oldest format this build opens (and migrates)
	storeMagic    = "duban"
)

var (
	bucketRevisions = []byte("revisions")
	bucketLatest    = []byte("latest")
	bucketMeta      = []byte("meta")
	bucketReviews   = []byte("reviews")
	keyFormat       = []byte("format")
	keyHeader       = []byte("header")
	keyProbe        = []byte("probe") // written and deleted by the write probe (health.go)
)

// migrations[n] upgrades a store of format n to format n+1 (see above); plan is the
// plan the records of a store written before plans belong to (used by the step to 6).
var migrations = map[int]func(tx *bolt.Tx, plan string) error{
	3: func(tx *bolt.Tx, _ string) error { return migrate3to4(tx) },
	4: func(tx *bolt.Tx, _ string) error { return migrate4to5(tx) },
	5: migrate5to6,
}

// ErrNeedsPlan is the error of Open on a store written before plans (format 3 to 5)
// when Config.DefaultPlan does not say which plan its reports belong to.
var ErrNeedsPlan = errors.New("boltstore: the store was written before plans: give the plan its reports belong to (Config.DefaultPlan; duban serve gives the first plan listed)")

// header is the store header.
type header struct {
	Store      string      `json:"store"`
	Format     int         `json:"format"`
	CreatedAt  string      `json:"created_at,omitempty"` // RFC 3339; empty for stores older than the header
	Migrations []migration `json:"migrations,omitempty"`
}

type migration struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	At   string `json:"at"`
}

func encodeHeader(h header) []byte {
	b, err := json.Marshal(h)
	if err != nil {
		panic(err) // plain strings and ints
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeHeader(b []byte) (header, error) {
	var h header
	if len(b) < 5 {
		return h, damaged("the store header is cut short")
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[len(b)-4:]) {
		return h, damaged("the store header fails its checksum")
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return h, damaged("the store header does not decode: %v", err)
	}
	return h, nil
}

func writeHeader(tx *bolt.Tx, h header) error {
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(keyHeader, encodeHeader(h)); err != nil {
		return err
	}
	return meta.Put(keyFormat, []byte(strconv.Itoa(h.Format)))
}

// createStore makes the buckets and the header of a new store.
func createStore(tx *bolt.Tx, now time.Time) error {
	for _, name := range [][]byte{bucketRevisions, bucketLatest, bucketMeta, bucketReviews} {
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	return writeHeader(tx, header{Store: storeMagic, Format: formatCurrent, CreatedAt: now.UTC().Format(time.RFC3339)})
}

// identify reads the header and says which format the store is in. It refuses what is
// not a duban store (ErrNotStore), a format this build does not read (ErrFormat) and a
// damaged header (ErrDamaged).
func identify(tx *bolt.Tx) (header, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if len(names) < 5 {
				names = append(names, strconv.Quote(string(name)))
			}
			return nil
		})
		what := "no buckets at all"
		if len(names) > 0 {
			what = "buckets " + strings.Join(names, ", ")
		}
		return header{}, fmt.Errorf("%w: the bbolt file has no duban store header (%s)", ErrNotStore, what)
	}
	fv := meta.Get(keyFormat)
	hb := meta.Get(keyHeader)
	if hb == nil {
		switch string(fv) {
		case "3":
			if tx.Bucket(bucketRevisions) == nil || tx.Bucket(bucketLatest) == nil {
				return header{}, damaged("the format-3 store lacks its revisions or latest bucket")
			}
			return header{Store: storeMagic, Format: 3}, nil
		case "1", "2":
			return header{}, fmt.Errorf("%w: format %s was written by a development build of 2026-11-29; this build reads formats %d to %d: move the data directory away",
				ErrFormat, fv, formatOldest, formatCurrent)
		case "":
			return header{}, fmt.Errorf("%w: the bbolt file has a meta bucket but no duban store header", ErrNotStore)
		}
		if _, err := strconv.Atoi(string(fv)); err == nil {
			return header{}, damaged("the store header is missing (meta/format says %q)", fv)
		}
		return header{}, fmt.Errorf("%w: the bbolt file has no duban store header (meta/format is %q)", ErrNotStore, fv)
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return header{}, err
	}
	switch {
	case h.Store != storeMagic:
		return header{}, fmt.Errorf("%w: the header names a %q store", ErrNotStore, h.Store)
	case h.Format > formatCurrent:
		return header{}, fmt.Errorf("%w: the store is in format %d, written by a newer duban; this build reads formats %d to %d. Run the newer duban, or restore a backup made by this one",
			ErrFormat, h.Format, formatOldest, formatCurrent)
	case h.Format < formatOldest:
		return header{}, fmt.Errorf("%w: the store is in format %d; this build reads formats %d to %d", ErrFormat, h.Format, formatOldest, formatCurrent)
	case string(fv) != strconv.Itoa(h.Format):
		return header{}, damaged("the store header says format %d but meta/format says %q", h.Format, fv)
	case tx.Bucket(bucketRevisions) == nil || tx.Bucket(bucketLatest) == nil:
		return header{}, damaged("the store lacks its revisions or latest bucket")
	case h.Format >= 5 && tx.Bucket(bucketReviews) == nil:
		return header{}, damaged("the store lacks its reviews bucket")
	}
	return h, nil
}

// migrate brings the store from h.Format to formatCurrent in tx, one step after the
// other (see above).
func migrate(tx *bolt.Tx, h header, now time.Time, plan string) (header, error) {
	for v := h.Format; v < formatCurrent; v++ {
		step, ok := migrations[v]
		if !ok {
			return h, fmt.Errorf("%w: no migration from format %d", ErrFormat, v)
		}
		if err := step(tx, plan); err != nil {
			return h, fmt.Errorf("migrate the store from format %d to %d: %w", v, v+1, err)
		}
		h.Migrations = append(h.Migrations, migration{From: v, To: v + 1, At: now.UTC().Format(time.RFC3339)})
	}
	h.Format = formatCurrent
	return h, writeHeader(tx, h)
}

// migrate3to4 rewrites every record of version 1 as version 2, with its checksum. A
// record that does not decode stops the migration: the store is damaged, and nothing
// is rewritten.
func migrate3to4(tx *bolt.Tx) error {
	return rewriteRecords(tx, func(seq uint64, v []byte) ([]byte, error) {
		r, err := decodeV1(v)
		if err != nil {
			return nil, err
		}
		return encodeRevisionV2(nil, seq, &r), nil
	})
}

// rewriteRecords replaces every record by what rewrite makes of it.
func rewriteRecords(tx *bolt.Tx, rewrite func(seq uint64, v []byte) ([]byte, error)) error {
	revs := tx.Bucket(bucketRevisions)
	revs.FillPercent = fillAppend
	c := revs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return damaged("revision key %x is not a sequence number", k)
		}
		seq := binary.BigEndian.Uint64(k)
		nv, err := rewrite(seq, v)
		if err != nil {
			return recordError(seq, v, "", "", "", err)
		}
		// A new slice each time: bbolt keeps the value until the commit.
		key := revisionKey(seq)
		if err := revs.Put(key, nv); err != nil {
			return err
		}
		// A Put moves the cursor's page under it: find the key again before Next.
		if k2, _ := c.Seek(key); k2 == nil {
			return fmt.Errorf("record %d vanished during the migration", seq)
		}
	}
	return nil
}

// migrate5to6 rewrites a store of format 5 (records, latest pointers and reviews
// without a plan) into format 6: every record in version 3 with its checksum and plan,
// every latest pointer and every review keyed by plan, indicator and period. One write
// transaction with the steps before it: a process killed during it leaves the old file
// as it was.
func migrate5to6(tx *bolt.Tx, plan string) error {
	if plan == "" {
		if k, _ := tx.Bucket(bucketRevisions).Cursor().First(); k != nil {
			return ErrNeedsPlan
		}
	}
	if err := rewriteRecords(tx, func(seq uint64, v []byte) ([]byte, error) {
		r, err := decodeV2(seq, v)
		if err != nil {
			return nil, err
		}
		r.Plan = plan
		return encodeRevision(nil, seq, &r), nil
	}); err != nil {
		return err
	}
	if err := rekeyBucket(tx, bucketLatest, func(k, v []byte) ([]byte, []byte, error) {
		return append([]byte(plan+"\x00"), k...), bytes.Clone(v), nil
	}); err != nil {
		return err
	}
	// Reviews: the key gains the plan, and the checksum (of key and body) follows.
	return rekeyBucket(tx, bucketReviews, func(k, v []byte) ([]byte, []byte, error) {
		if _, err := decodeReviewIn(5, k, v); err != nil {
			return nil, nil, err
		}
		nk := append([]byte(plan+"\x00"), k...)
		return nk, resumReview(nk, v), nil
	})
}

// rekeyBucket replaces the bucket name by one holding what rekey makes of each pair.
func rekeyBucket(tx *bolt.Tx, name []byte, rekey func(k, v []byte) ([]byte, []byte, error)) error {
	type kv struct{ k, v []byte }
	var pairs []kv
	if err := tx.Bucket(name).ForEach(func(k, v []byte) error {
		nk, nv, err := rekey(k, v)
		if err != nil {
			return err
		}
		pairs = append(pairs, kv{nk, nv})
		return nil
	}); err != nil {
		return err
	}
	seq := tx.Bucket(name).Sequence()
	if err := tx.DeleteBucket(name); err != nil {
		return err
	}
	b, err := tx.CreateBucket(name)
	if err != nil {
		return err
	}
	if err := b.SetSequence(seq); err != nil {
		return err
	}
	for _, p := range pairs {
		if err := b.Put(p.k, p.v); err != nil {
			return err
		}
	}
	return nil
}

// migrate4to5 creates the reviews bucket: a format-4 store has no reviews, so its
// revisions all read as submitted, as they were.
func migrate4to5(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketReviews)
	return err
}
