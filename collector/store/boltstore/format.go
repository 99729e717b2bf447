package boltstore

import (
	"encoding/binary"
	"encoding/json"
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
//
// Migrations: migrations[n] turns a store of format n into format n+1 inside the
// write transaction that Open runs when the file is older than formatCurrent. All
// steps and the new header commit in that one transaction, so a process killed
// during a migration leaves the file as it was, and the next start migrates again.
// A later format adds its step here and raises formatCurrent.
const (
	formatCurrent = 5
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

// migrations[n] upgrades a store of format n to format n+1 (see above).
var migrations = map[int]func(tx *bolt.Tx) error{
	3: migrate3to4,
	4: migrate4to5,
}

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

// migrate brings the store from h.Format to formatCurrent in tx (see above).
func migrate(tx *bolt.Tx, h header, now time.Time) (header, error) {
	for v := h.Format; v < formatCurrent; v++ {
		step, ok := migrations[v]
		if !ok {
			return h, fmt.Errorf("%w: no migration from format %d", ErrFormat, v)
		}
		if err := step(tx); err != nil {
			return h, fmt.Errorf("migrate the store from format %d to %d: %w", v, v+1, err)
		}
		h.Migrations = append(h.Migrations, migration{From: v, To: v + 1, At: now.UTC().Format(time.RFC3339)})
	}
	h.Format = formatCurrent
	return h, writeHeader(tx, h)
}

// migrate3to4 rewrites every record with its checksum. A record that does not decode
// stops the migration: the store is damaged, and nothing is rewritten.
func migrate3to4(tx *bolt.Tx) error {
	revs := tx.Bucket(bucketRevisions)
	revs.FillPercent = fillAppend
	c := revs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return damaged("revision key %x is not a sequence number", k)
		}
		seq := binary.BigEndian.Uint64(k)
		r, err := decodeV1(v)
		if err != nil {
			return recordError(seq, v, "", "", err)
		}
		key := revisionKey(seq)
		// A new slice each time: bbolt keeps the value until the commit.
		if err := revs.Put(key, encodeRevision(nil, seq, &r)); err != nil {
			return err
		}
		// A Put moves the cursor's page under it: find the key again before Next.
		if k2, _ := c.Seek(key); k2 == nil {
			return fmt.Errorf("record %d vanished during the migration", seq)
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
