// Package boltstore is duban's embedded store: every revision of every report in one
// bbolt file, <dir>/duban.db.
//
// Why bbolt rather than SQLite (modernc.org/sqlite): it is pure Go with no cgo and no
// SQL layer to translate; one file; a write transaction costs exactly one commit (two
// fdatasyncs: data pages, then the meta page), so one commit can acknowledge many
// requests; its ordered byte keys are all the access paths need (records appended
// under a sequence number, latest values in one small bucket); and a killed process
// leaves the file at the last committed transaction, never half of one.
//
// Layout: three buckets.
//
//	revisions  sequence number → record                      (the audit trail)
//	latest     indicator, period → revision, sequence number of its highest revision
//	meta       format version
//
// The sequence number grows store-wide, so records are appended at the end of one
// bucket and a commit dirties a few pages however many indicators it touches. That
// matters because an fdatasync here costs about 20 µs per dirty page: keying records
// by indicator (one dirty page per indicator per commit) made appends 2-3 times slower,
// and a bucket of random idempotency keys one more page per keyed report.
//
// Start-up reads only the latest pointers and the records they name (0.3 s for
// 1,000,000 revisions). History and idempotency keys are found through an in-memory
// index (indicator → sequence numbers, 8 bytes per revision; hash of sender and key →
// sequence number, about 30 bytes per keyed revision) that a scan builds in the
// background after Open (0.6 s for 1,000,000) and the writer keeps current; appends
// and History wait for that scan.
//
// Writes use group commit: Append hands its batch to a single writer goroutine, which
// takes every request waiting at that moment into one bbolt transaction, commits (fsync)
// once and then answers each request. There is no waiting for more requests to arrive
// (bbolt's DB.Batch waits up to 10 ms, which would be the p99 latency): under load the
// next group simply forms while the current one is being synced. Each request stays
// atomic: its whole batch is prepared in memory (revision numbers, idempotency replays,
// validation) before any byte of it is written, so a bad request fails alone; if a
// shared transaction still fails, every request of the group is retried in a
// transaction of its own.
//
// bbolt options: fsync stays on (NoSync false: a receipt means the batch is on disk);
// the freelist is the hash-map kind (allocation does not slow down as the file grows)
// and is written at each commit, so that opening a large file does not scan every page;
// InitialMmapSize (1 GiB of address space, not memory) keeps readers from blocking the
// writer's re-mapping while the file grows.
//
// A request whose context is done before the writer starts on it stores nothing and
// returns the context's error. Once the writer has taken it, Append waits for the commit
// regardless of the context, so an error always means nothing was stored and a receipt
// always means the batch is on disk.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// FileName is the database file inside the data directory.
const FileName = "duban.db"

var (
	bucketRevisions = []byte("revisions")
	bucketLatest    = []byte("latest")
	bucketMeta      = []byte("meta")
	keyFormat       = []byte("format")
	storeFormat     = []byte("3") // 1, 2: development builds of 2026-11-29 (records keyed by indicator; idem bucket)
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("boltstore: store is closed")

// ErrInvalid wraps the reasons a batch is refused before anything is written.
var ErrInvalid = errors.New("boltstore: invalid revision")

// Config configures Open.
type Config struct {
	// Dir is the data directory; it is created if missing. Required.
	Dir string
	// Logger receives start-up and failure logs. Default: discard.
	Logger *slog.Logger
	// MaxGroupRevisions caps how many revisions one commit takes from waiting
	// requests (a single larger request still commits alone). Default 20000.
	MaxGroupRevisions int
	// InitialMmapSize is the address space mapped at open, so that readers do not
	// block the writer's re-mapping while the file grows below it. Default 1 GiB.
	InitialMmapSize int
	// OpenTimeout bounds the wait for the file lock held by another process. Default 2s.
	OpenTimeout time.Duration
}

func (c *Config) defaults() error {
	if c.Dir == "" {
		return errors.New("boltstore: Dir is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxGroupRevisions <= 0 {
		c.MaxGroupRevisions = 20000
	}
	if c.InitialMmapSize <= 0 {
		c.InitialMmapSize = 1 << 30
	}
	if c.OpenTimeout <= 0 {
		c.OpenTimeout = 2 * time.Second
	}
	return nil
}

// Store is the bbolt store. It implements collector.Store and collector.Readiness and
// is safe for concurrent use.
type Store struct {
	cfg   Config
	path  string
	db    *bolt.DB
	reqs  chan *appendReq
	done  chan struct{} // closed when the writer has exited
	index *memIndex
	stop  chan struct{} // closed by Close: the index scan gives up

	mu       sync.RWMutex // guards closed and inflight.Add
	closed   bool
	inflight sync.WaitGroup
}

var (
	_ collector.Store     = (*Store)(nil)
	_ collector.Readiness = (*Store)(nil)
)

type appendReq struct {
	ctx      context.Context
	batch    []indicators.Revision
	receipts []indicators.Receipt
	err      error
	reply    chan struct{}
}

// Open opens (creating if needed) the store in cfg.Dir.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("boltstore: create data directory: %w", err)
	}
	path := filepath.Join(cfg.Dir, FileName)
	start := time.Now()
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:         cfg.OpenTimeout,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: cfg.InitialMmapSize,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("boltstore: %s is locked by another process (is another duban running on this data directory?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRevisions, bucketLatest, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch f := meta.Get(keyFormat); {
		case f == nil && isEmpty(tx.Bucket(bucketRevisions)):
			return meta.Put(keyFormat, storeFormat)
		case !bytes.Equal(f, storeFormat):
			return fmt.Errorf("file format %q, this build reads %q (a development build wrote it: move the data directory away)", f, storeFormat)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: prepare %s: %w", path, err)
	}
	s := &Store{
		cfg:   cfg,
		path:  path,
		db:    db,
		reqs:  make(chan *appendReq, 1024),
		done:  make(chan struct{}),
		index: newMemIndex(),
		stop:  make(chan struct{}),
	}
	go s.index.build(db, s.stop)
	go s.writer()
	cfg.Logger.Info("embedded store opened", "path", path, "duration", time.Since(start))
	return s, nil
}

func isEmpty(b *bolt.Bucket) bool {
	k, _ := b.Cursor().First()
	return k == nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Ready reports whether the store takes writes: not after the index scan failed nor
// after Close. While the scan runs it does, but appends wait for the scan's end.
func (s *Store) Ready() (bool, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, "store closed"
	}
	if !s.index.done() {
		return true, "ok (indexing stored revisions: appends wait for it)"
	}
	if err := s.index.failed(); err != nil {
		return false, err.Error()
	}
	return true, "ok"
}

// Append implements collector.Store.
func (s *Store) Append(ctx context.Context, batch []indicators.Revision) ([]indicators.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(batch) == 0 {
		return []indicators.Receipt{}, nil
	}
	if err := validate(batch); err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	s.inflight.Add(1)
	s.mu.RUnlock()
	defer s.inflight.Done()

	req := &appendReq{ctx: ctx, batch: batch, reply: make(chan struct{})}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Taken by the writer: wait for its verdict whatever the context says, so that
	// an error always means "nothing stored".
	<-req.reply
	return req.receipts, req.err
}

// validate refuses what the key layout cannot hold.
func validate(batch []indicators.Revision) error {
	for i := range batch {
		r := &batch[i]
		switch {
		case r.Indicator == "":
			return fmt.Errorf("%w: element %d: empty indicator", ErrInvalid, i)
		case strings.IndexByte(r.Indicator, 0) >= 0:
			return fmt.Errorf("%w: element %d: NUL byte in indicator", ErrInvalid, i)
		case r.Period == "":
			return fmt.Errorf("%w: element %d: empty period", ErrInvalid, i)
		case strings.IndexByte(r.Period, 0) >= 0:
			return fmt.Errorf("%w: element %d: NUL byte in period", ErrInvalid, i)
		case strings.IndexByte(r.Sender, 0) >= 0:
			return fmt.Errorf("%w: element %d: NUL byte in sender", ErrInvalid, i)
		case len(r.Indicator)+len(r.Period)+9 > bolt.MaxKeySize,
			len(r.Sender)+len(r.IdempotencyKey)+1 > bolt.MaxKeySize:
			return fmt.Errorf("%w: element %d: key longer than %d bytes", ErrInvalid, i, bolt.MaxKeySize)
		}
	}
	return nil
}

// writer is the only goroutine that writes: it forms groups and commits them.
func (s *Store) writer() {
	defer close(s.done)
	var group []*appendReq
	for req := range s.reqs {
		group = append(group[:0], req)
		n := len(req.batch)
	drain:
		for n < s.cfg.MaxGroupRevisions {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
				n += len(r.batch)
			default:
				break drain
			}
		}
		s.commit(group)
		for _, r := range group {
			close(r.reply)
		}
		clear(group)
	}
}

// errApply marks a failure while writing prepared records: the transaction is
// abandoned and the group retried one request at a time.
type errApply struct{ err error }

func (e errApply) Error() string { return e.err.Error() }

// errNothing rolls back a transaction that has nothing to write (every request was
// canceled, refused or a replay): no commit, no fsync.
var errNothing = errors.New("nothing to write")

func (s *Store) commit(group []*appendReq) {
	if err := s.index.failed(); err != nil {
		for _, r := range group {
			r.receipts, r.err = nil, err
		}
		return
	}
	var entries []indexEntry
	err := s.db.Update(func(tx *bolt.Tx) error {
		entries = entries[:0]
		w := &txWrite{
			revisions: tx.Bucket(bucketRevisions),
			latest:    tx.Bucket(bucketLatest),
			index:     s.index,
			keys:      map[string]indicators.Receipt{},
		}
		w.revisions.FillPercent = fillAppend
		wrote := false
		for _, r := range group {
			r.receipts, r.err = nil, nil
			if err := r.ctx.Err(); err != nil {
				r.err = err
				continue
			}
			receipts, puts, seq, seen, err := w.prepare(r.batch, w.revisions.Sequence(), &entries)
			if err != nil {
				r.err = err
				continue
			}
			maps.Copy(w.keys, seen)
			for _, p := range puts {
				if err := p.bucket.Put(p.key, p.value); err != nil {
					return errApply{fmt.Errorf("boltstore: write: %w", err)}
				}
			}
			if err := w.revisions.SetSequence(seq); err != nil {
				return errApply{fmt.Errorf("boltstore: write: %w", err)}
			}
			r.receipts = receipts
			wrote = wrote || len(puts) > 0
		}
		if !wrote {
			return errNothing
		}
		return nil
	})
	if err == nil {
		s.index.add(entries)
		return
	}
	if errors.Is(err, errNothing) {
		return
	}
	if len(group) > 1 {
		s.cfg.Logger.Warn("group commit failed; retrying its requests one by one", "requests", len(group), "err", err)
		for _, r := range group {
			s.commit([]*appendReq{r})
		}
		return
	}
	s.cfg.Logger.Error("append failed", "revisions", len(group[0].batch), "err", err)
	group[0].receipts = nil
	var ea errApply
	if errors.As(err, &ea) {
		group[0].err = ea.err
	} else {
		group[0].err = fmt.Errorf("boltstore: commit: %w", err)
	}
}

// txWrite is what prepare needs inside the writer's transaction.
type txWrite struct {
	revisions, latest *bolt.Bucket
	index             *memIndex
	// keys holds the idempotency keys stored by earlier requests of this transaction
	// (the index learns them only after the commit).
	keys map[string]indicators.Receipt
}

type put struct {
	bucket     *bolt.Bucket
	key, value []byte
}

// fillAppend is the fill factor of the revisions bucket: its keys only grow, so its
// pages are split full instead of half full.
const fillAppend = 1.0

// stored finds the receipt of an idempotency key committed before.
func (w *txWrite) stored(ik string) (indicators.Receipt, bool, error) {
	for _, seq := range w.index.idemCandidates(ik) {
		rec := w.revisions.Get(revisionKey(seq))
		if rec == nil {
			return indicators.Receipt{}, false, fmt.Errorf("indexed record %d missing: %w", seq, errCorrupt)
		}
		r, err := decodeRevision(rec)
		if err != nil {
			return indicators.Receipt{}, false, fmt.Errorf("record %d: %w", seq, err)
		}
		if r.IdempotencyKey != "" && string(idemKey(r.Sender, r.IdempotencyKey)) == ik {
			return indicators.Receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}, true, nil
		}
	}
	return indicators.Receipt{}, false, nil
}

// prepare computes every record of one request without writing any: revision numbers
// (stored ones plus earlier elements of the batch), sequence numbers and idempotency
// replays. seq is the last sequence number used; prepare returns the new last one and
// the idempotency keys it stores, and appends the records it will write to entries.
func (w *txWrite) prepare(batch []indicators.Revision, seq uint64, entries *[]indexEntry) ([]indicators.Receipt, []put, uint64, map[string]indicators.Receipt, error) {
	n := len(*entries)
	fail := func(err error) ([]indicators.Receipt, []put, uint64, map[string]indicators.Receipt, error) {
		*entries = (*entries)[:n]
		return nil, nil, 0, nil, err
	}
	receipts := make([]indicators.Receipt, len(batch))
	puts := make([]put, 0, 2*len(batch))
	var (
		next map[string]int                // latest key → last revision given in this batch
		seen map[string]indicators.Receipt // idempotency key → receipt given in this batch
	)
	if len(batch) > 1 {
		next = make(map[string]int, len(batch))
	}
	for i := range batch {
		r := batch[i] // copy: the caller's batch is not modified
		var ik string
		if r.IdempotencyKey != "" {
			ik = string(idemKey(r.Sender, r.IdempotencyKey))
			rc, ok := seen[ik]
			if !ok {
				rc, ok = w.keys[ik]
			}
			if !ok {
				var err error
				if rc, ok, err = w.stored(ik); err != nil {
					return fail(fmt.Errorf("idempotency key %q: %w", r.IdempotencyKey, err))
				}
			}
			if ok {
				rc.Replayed = true
				receipts[i] = rc
				continue
			}
		}
		lk := latestKey(r.Indicator, r.Period)
		last, ok := next[string(lk)]
		if !ok {
			if v := w.latest.Get(lk); v != nil {
				rev, _, err := decodePointer(v)
				if err != nil {
					return fail(fmt.Errorf("latest pointer of %s %s: %w", r.Indicator, r.Period, err))
				}
				last = rev
			}
		}
		seq++
		r.Revision = last + 1
		puts = append(puts,
			put{w.revisions, revisionKey(seq), encodeRevision(nil, &r)},
			put{w.latest, lk, encodePointer(r.Revision, seq)})
		*entries = append(*entries, indexEntry{indicator: r.Indicator, seq: seq, idemKey: ik})
		rc := indicators.Receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}
		receipts[i] = rc
		if next != nil {
			next[string(lk)] = r.Revision
		}
		if ik != "" {
			if seen == nil {
				seen = map[string]indicators.Receipt{}
			}
			seen[ik] = rc
		}
	}
	return receipts, puts, seq, seen, nil
}

// Latest implements collector.Store: it walks the latest pointers and reads the
// records they name.
func (s *Store) Latest(ctx context.Context) ([]indicators.Revision, error) {
	out := []indicators.Revision{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		revs := tx.Bucket(bucketRevisions)
		c := tx.Bucket(bucketLatest).Cursor()
		key := make([]byte, 8)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			_, seq, err := decodePointer(v)
			if err != nil {
				return fmt.Errorf("latest pointer %q: %w", k, err)
			}
			binary.BigEndian.PutUint64(key, seq)
			rec := revs.Get(key)
			if rec == nil {
				return fmt.Errorf("latest pointer %q: record %d missing: %w", k, seq, errCorrupt)
			}
			r, err := decodeRevision(rec)
			if err != nil {
				return fmt.Errorf("record %d: %w", seq, err)
			}
			out = append(out, r)
			if len(out)%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// History implements collector.Store: the index names the indicator's records.
func (s *Store) History(ctx context.Context, indicator string) ([]indicators.Revision, error) {
	// Look up before the read transaction starts: every indexed record was committed
	// before it was indexed, so the transaction sees them all.
	seqs, err := s.index.lookup(ctx, indicator)
	if err != nil {
		return nil, err
	}
	out := make([]indicators.Revision, 0, len(seqs))
	err = s.view(ctx, func(tx *bolt.Tx) error {
		revs := tx.Bucket(bucketRevisions)
		key := make([]byte, 8)
		for _, seq := range seqs {
			binary.BigEndian.PutUint64(key, seq)
			rec := revs.Get(key)
			if rec == nil {
				return fmt.Errorf("indexed record %d missing: %w", seq, errCorrupt)
			}
			r, err := decodeRevision(rec)
			if err != nil {
				return fmt.Errorf("record %d: %w", seq, err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Records are in arrival order; the contract wants the shared history order.
	slices.SortStableFunc(out, indicators.CompareHistory)
	return out, nil
}

// FirstArrivals implements collector.Store: it walks the latest pointers (one per
// indicator and period, whatever the history's length); a period whose latest is its
// first revision arrived then, and only corrected periods read their indicator's
// history for the earliest arrival.
func (s *Store) FirstArrivals(ctx context.Context, periodEnds []time.Time) ([]indicators.Arrival, error) {
	want := make(map[int64]bool, len(periodEnds))
	for _, e := range periodEnds {
		want[e.UnixNano()] = true
	}
	type akey struct {
		indicator string
		end       int64
	}
	first := map[akey]indicators.Arrival{}
	add := func(r indicators.Revision) {
		k := akey{r.Indicator, r.PeriodEnd.UnixNano()}
		if old, ok := first[k]; !ok || r.ReceivedAt.Before(old.FirstReceived) {
			first[k] = indicators.Arrival{Indicator: r.Indicator, Period: r.Period, PeriodEnd: r.PeriodEnd, FirstReceived: r.ReceivedAt}
		}
	}
	corrected := map[string]bool{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		revs := tx.Bucket(bucketRevisions)
		c := tx.Bucket(bucketLatest).Cursor()
		key := make([]byte, 8)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			revision, seq, err := decodePointer(v)
			if err != nil {
				return fmt.Errorf("latest pointer %q: %w", k, err)
			}
			binary.BigEndian.PutUint64(key, seq)
			rec := revs.Get(key)
			if rec == nil {
				return fmt.Errorf("latest pointer %q: record %d missing: %w", k, seq, errCorrupt)
			}
			r, err := decodeRevision(rec)
			if err != nil {
				return fmt.Errorf("record %d: %w", seq, err)
			}
			if !want[r.PeriodEnd.UnixNano()] {
				continue
			}
			if revision > 1 {
				corrected[r.Indicator] = true
				continue
			}
			add(r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id := range corrected {
		hist, err := s.History(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, r := range hist {
			if want[r.PeriodEnd.UnixNano()] {
				add(r)
			}
		}
	}
	out := make([]indicators.Arrival, 0, len(first))
	for _, a := range first {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b indicators.Arrival) int {
		if c := strings.Compare(a.Indicator, b.Indicator); c != 0 {
			return c
		}
		return a.PeriodEnd.Compare(b.PeriodEnd)
	})
	return out, nil
}

func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.inflight.Add(1)
	s.mu.RUnlock()
	defer s.inflight.Done()
	if err := s.db.View(fn); err != nil {
		return fmt.Errorf("boltstore: read: %w", err)
	}
	return nil
}

// Close implements collector.Store: it refuses new calls, waits for appends and reads
// in flight, stops the writer and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.inflight.Wait()
	close(s.reqs)
	<-s.done
	close(s.stop)
	<-s.index.ready
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}
