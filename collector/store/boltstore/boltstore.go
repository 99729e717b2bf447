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
// Layout: four buckets.
//
//	revisions  sequence number → record, with its CRC-32C   (the audit trail)
//	latest     plan, indicator, period → revision, sequence number of its highest revision
//	reviews    plan, indicator, period, revision, seq → the office's review (reviews.go)
//	meta       the store header: "this is a duban store", format version, created at
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
// validation, and the contract's refusals: a key reused for other content, a report
// that must be first and is not) before any byte of it is written, so a bad request
// fails alone, and checks and numbering see the same state; if a
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
//
// # A store that knows when it is damaged
//
// bbolt checksums its two meta pages and nothing else, trusts the file's length, and
// initialises an empty file as a new database. So, before this package checked: a
// 0-byte duban.db started "ready" and empty, a file cut short died with SIGBUS on the
// first page past its end, and one flipped bit in a data page changed a stored value
// silently. Now:
//
//   - Open (inspect.go) refuses, before bbolt maps anything, a 0-byte file (a missing
//     file is a new store; an existing empty one is damage), a file shorter than the
//     pages its last transaction uses, and a meta page that fails its checksum (bbolt
//     would fall back to the other, older one and lose the last commit). It then reads
//     the store header (format.go): a file without one is not a duban store, a newer
//     format is refused naming both versions. A refused file is not written to.
//     Errors: ErrDamaged, ErrNotStore, ErrFormat (duban exits 3, 4 and 4).
//   - Every record carries a CRC-32C of its key and bytes (codec.go), verified on
//     every read and by the background index scan, which so checks the whole file
//     within a second of start for a million records. A record that fails, or a latest
//     pointer that disagrees with its record, is never served: Latest leaves that
//     period out (it does not fall back to an older revision, which would present a
//     superseded figure as current), History answers an error naming the record,
//     indicator and period (it also checks every period's revisions against the
//     latest pointer, so a record whose damaged bytes no longer name the indicator
//     cannot silently drop out), and the damage is logged and counted
//     (duban_store_damaged_records).
//   - Once damage is found the store takes no more writes and Ready says why: a report
//     acknowledged into a file the operator is about to replace with a backup would be
//     lost, while a refused one is sent again by its client. Reads of the intact data
//     go on. Panics and memory faults inside bbolt (a page it cannot parse) become
//     ErrDamaged through debug.SetPanicOnFault and recover, never a crash.
//   - A commit that fails with a write or fsync error (disk full, file size limit)
//     puts the store in a failed-write state: Ready says so until a probe write
//     commits (health.go).
//   - Check verifies a file completely (bbolt's Tx.Check, every record, the latest
//     index against the records); Backup copies a serving store with Tx.WriteTo.
//
// Stores written before the checksums (format 3) are migrated when Open first sees
// them, all records rewritten in one write transaction (format.go), rather than read
// in both forms. Records are never rewritten after they are stored (the audit trail
// only grows), so reading both forms would leave every old record unprotected for
// good: a flipped bit in a 2026 report read in 2030 would still change its value
// silently. With one form, a record without a checksum in a format-4 store is damage,
// not an alternative to accept. The cost is paid once, at the first start of the new
// build: the transaction rewrites every page of the revisions bucket
// (BenchmarkMigrate, 100,000 records, load average 13 on 2 cores: 0.7 s, 72 MB
// allocated, 46 MiB of heap at the commit; linear, so a province's 1,000,000 records
// take about 7 s and half a GB once), and a process killed during it leaves the
// format-3 file as it was, to be migrated at the next start.
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
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// FileName is the database file inside the data directory.
const FileName = "duban.db"

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
	// ProbeInterval is how often a write is tried while the last commit failed
	// (health.go). Default 2s.
	ProbeInterval time.Duration
	// ProbeBytes is the size of that write. Default 1 MiB.
	ProbeBytes int
	// DefaultPlan is the plan (indicators.Plan.ID) the reports of a store written
	// before plans (format 3 or 4) belong to: Open migrates such a store, assigning
	// every revision to it, and refuses it (ErrNeedsPlan) when this is empty and the
	// store holds revisions. duban serve gives its default plan, the first listed.
	DefaultPlan string
	// Now is the clock of the store header and the health state. Default time.Now.
	Now func() time.Time
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
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = 2 * time.Second
	}
	if c.ProbeBytes <= 0 {
		c.ProbeBytes = 1 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Store is the bbolt store. It implements collector.Store and
// is safe for concurrent use.
type Store struct {
	cfg   Config
	path  string
	db    *bolt.DB
	reqs  chan *appendReq
	done  chan struct{} // closed when the writer has exited
	index *memIndex
	stop  chan struct{} // closed by Close: the index scan and the probe give up

	header    header
	damage    *damageLog
	health    writeHealth
	probeDone chan struct{}

	mu       sync.RWMutex // guards closed and inflight.Add
	closed   bool
	inflight sync.WaitGroup
}

var (
	_ collector.Store = (*Store)(nil)
)

type appendReq struct {
	ctx      context.Context
	batch    []indicators.Revision
	receipts []indicators.Receipt
	err      error
	reply    chan struct{}
}

// Open opens the store in cfg.Dir, creating it when there is no file. It refuses a
// file that is damaged (ErrDamaged: empty, cut short, a bad meta page or header), that
// is not a duban store (ErrNotStore) or whose format this build does not read
// (ErrFormat), and changes nothing in such a file. A store of an older format is
// migrated (format.go). Records are verified as they are read, not here.
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
	_, err := inspect(path, cfg.OpenTimeout)
	switch {
	case errors.Is(err, errNoFile):
		if err := create(path, cfg); err != nil {
			return nil, fmt.Errorf("boltstore: create %s: %w", path, err)
		}
		cfg.Logger.Info("created a new embedded store", "path", path)
	case err != nil:
		return nil, refuse(path, err)
	}
	db, err := openBolt(path, &bolt.Options{
		Timeout:         cfg.OpenTimeout,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: cfg.InitialMmapSize,
	})
	if err != nil {
		return nil, refuse(path, err)
	}
	var h header
	err = safeView(db, func(tx *bolt.Tx) (err error) {
		h, err = identify(tx)
		return err
	})
	if err == nil && h.Format < formatCurrent {
		from := h.Format
		mstart := time.Now()
		err = safeUpdate(db, func(tx *bolt.Tx) (err error) {
			h, err = migrate(tx, h, cfg.Now(), cfg.DefaultPlan)
			return err
		})
		if err == nil {
			cfg.Logger.Info("migrated the embedded store", "path", path, "from_format", from, "to_format", h.Format, "duration", time.Since(mstart))
		}
	}
	if err != nil {
		_ = db.Close()
		return nil, refuse(path, err)
	}
	s := &Store{
		cfg:       cfg,
		path:      path,
		db:        db,
		reqs:      make(chan *appendReq, 1024),
		done:      make(chan struct{}),
		index:     newMemIndex(),
		stop:      make(chan struct{}),
		header:    h,
		damage:    newDamageLog(cfg.Logger),
		probeDone: make(chan struct{}),
	}
	go s.index.build(db, s.stop, s.damage.report)
	go s.writer()
	go s.probe()
	cfg.Logger.Info("embedded store opened", "path", path, "format", h.Format, "created_at", h.CreatedAt, "duration", time.Since(start))
	return s, nil
}

// refuse words a refusal to open path: what is wrong and what to do.
func refuse(path string, err error) error {
	switch {
	case errors.Is(err, errLocked), errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("boltstore: %s is %w", path, errLocked)
	case errors.Is(err, ErrDamaged):
		return fmt.Errorf("boltstore: refusing to open %s: damaged: %w (the file is left as it is: restore it from a backup, see README \"Backup and restore\"; `duban store check` lists the damage)", path, err)
	case errors.Is(err, ErrNotStore):
		return fmt.Errorf("boltstore: refusing to open %s: %w (point store.path at duban's data directory, or move this file away)", path, err)
	case errors.Is(err, ErrFormat):
		return fmt.Errorf("boltstore: refusing to open %s: %w", path, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return refuse(path, damaged("bbolt refuses the file: %v", err))
	}
	return fmt.Errorf("boltstore: open %s: %w", path, err)
}

// create makes a new store at path: the file is built under a temporary name and
// linked into place only once it holds the header, so that duban.db is never a file
// without one, and two processes creating at once cannot both win (link fails on an
// existing name, where rename would replace a file the other one has opened).
func create(path string, cfg Config) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), FileName+".new-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_ = tmp.Close() // empty, and bbolt reopens it by name
	// Once linked, the temporary name goes; a leftover one (Remove failed) is harmless:
	// every create makes its own.
	defer func() { _ = os.Remove(name) }()
	db, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: cfg.OpenTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	if err := db.Update(func(tx *bolt.Tx) error { return createStore(tx, cfg.Now()) }); err != nil {
		_ = db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	switch err := os.Link(name, path); {
	case err == nil, errors.Is(err, os.ErrExist): // ours, or another process's: either is a store
	default: // a file system without hard links: rename, if nothing appeared meanwhile
		if _, serr := os.Lstat(path); serr == nil {
			break
		}
		if err := os.Rename(name, path); err != nil {
			return err
		}
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// openBolt opens the file with bbolt, turning a panic or a memory fault in the mapped
// file into an error (inspect has checked the file, but it may change under us).
func openBolt(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			db, err = nil, damaged("bbolt failed opening the file: %v", v)
		}
	}()
	return bolt.Open(path, 0o600, opts)
}

// safeView is db.View with panics and memory faults turned into ErrDamaged.
func safeView(db *bolt.DB, fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			err = damaged("bbolt failed reading the file: %v", v)
		}
	}()
	return db.View(fn)
}

// safeUpdate is db.Update with panics and memory faults turned into ErrDamaged (bbolt
// rolls the transaction back first).
func safeUpdate(db *bolt.DB, fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			err = damaged("bbolt failed writing the file: %v", v)
		}
	}()
	return db.Update(fn)
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Ready reports whether the store takes writes: not after Close, not once damage was
// found (damage.go), not while its last commit failed (health.go), not after the
// index scan failed. While the scan runs it does, but appends wait for the scan's end.
func (s *Store) Ready(context.Context) (bool, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, "store closed"
	}
	if err := s.damage.err(); err != nil {
		return false, err.Error()
	}
	if since, err := s.health.state(); err != nil {
		return false, fmt.Sprintf("the store cannot write (disk full? I/O error?) since %s: %v; a write is tried again every %s",
			since.UTC().Format(time.RFC3339), err, s.cfg.ProbeInterval)
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
	if err := s.enter(); err != nil {
		return nil, err
	}
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
	debug.SetPanicOnFault(true) // this goroutine only: a fault in the mapped file is an error (update)
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

// refused is the error every request of a group gets before any is tried: the index
// failed to load, or the store is damaged.
func (s *Store) refused() error {
	if err := s.index.failed(); err != nil {
		return err
	}
	return s.damage.err()
}

func (s *Store) commit(group []*appendReq) {
	if err := s.refused(); err != nil {
		for _, r := range group {
			r.receipts, r.err = nil, err
		}
		return
	}
	var entries []indexEntry
	err := s.update(func(tx *bolt.Tx) error {
		entries = entries[:0]
		w := &txWrite{
			revisions: tx.Bucket(bucketRevisions),
			latest:    tx.Bucket(bucketLatest),
			index:     s.index,
			keys:      map[string]keyed{},
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
	for _, r := range group {
		if r.err != nil && errors.Is(r.err, ErrDamaged) {
			s.damage.report(r.err.Error(), r.err) // found while preparing (a stored record, a pointer)
		}
	}
	if err == nil {
		s.index.add(entries)
		if s.health.ok() {
			s.cfg.Logger.Info("store writes again: a commit succeeded")
		}
		return
	}
	if errors.Is(err, errNothing) {
		return
	}
	if len(group) > 1 && !errors.Is(err, ErrDamaged) {
		s.cfg.Logger.Warn("group commit failed; retrying its requests one by one", "requests", len(group), "err", err)
		for _, r := range group {
			s.commit([]*appendReq{r})
		}
		return
	}
	s.cfg.Logger.Error("append failed", "revisions", len(group[0].batch), "err", err)
	var ea errApply
	if errors.As(err, &ea) {
		err = ea.err
	} else if !errors.Is(err, ErrDamaged) {
		err = fmt.Errorf("boltstore: commit: %w", err)
		s.health.failed(err, s.cfg.Now()) // a write or fsync error: not ready until a write commits
	}
	for _, r := range group {
		r.receipts, r.err = nil, err
	}
}

// update is db.Update with a panic or memory fault in bbolt turned into ErrDamaged
// (bbolt rolls the transaction back before the panic reaches here).
// enter counts a call in flight, which Close waits for; after Close it is ErrClosed.
// Callers defer s.inflight.Done() when it succeeds.
func (s *Store) enter() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverDamage("a write", &err)
	return s.db.Update(fn)
}

// txWrite is what prepare needs inside the writer's transaction.
type txWrite struct {
	revisions, latest *bolt.Bucket
	index             *memIndex
	// keys holds the idempotency keys stored by earlier requests of this transaction
	// (the index learns them only after the commit).
	keys map[string]keyed
}

// keyed is what an idempotency key was used for: its receipt and the content it
// stands for (indicators.Report.ContentKey).
type keyed struct {
	rc      indicators.Receipt
	content string
}

type put struct {
	bucket     *bolt.Bucket
	key, value []byte
}

// fillAppend is the fill factor of the revisions bucket: its keys only grow, so its
// pages are split full instead of half full.
const fillAppend = 1.0

// stored finds the receipt and content of an idempotency key committed before.
func (w *txWrite) stored(ik string) (keyed, bool, error) {
	for _, seq := range w.index.idemCandidates(ik) {
		rec := w.revisions.Get(revisionKey(seq))
		if rec == nil {
			return keyed{}, false, &RecordError{Seq: seq, Err: damaged("is named by the index but missing")}
		}
		r, err := decodeRevision(seq, rec)
		if err != nil {
			return keyed{}, false, recordError(seq, rec, "", "", "", err)
		}
		if r.IdempotencyKey != "" && string(idemKey(r.Sender, r.IdempotencyKey)) == ik {
			return keyed{indicators.Receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}, r.ContentKey()}, true, nil
		}
	}
	return keyed{}, false, nil
}

// prepare computes every record of one request without writing any: revision numbers
// and idempotency replays by the Store contract's rules (collector.Number, asking the
// transaction what was stored), and sequence numbers. seq is the last sequence number
// used; prepare returns the new last one and the idempotency keys it stores, and
// appends the records it will write to entries.
func (w *txWrite) prepare(batch []indicators.Revision, seq uint64, entries *[]indexEntry) ([]indicators.Receipt, []put, uint64, map[string]keyed, error) {
	receipts, err := collector.Number(batch, w)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	puts := make([]put, 0, 2*len(batch))
	var seen map[string]keyed // idempotency key → receipt given in this batch
	for i := range batch {
		if receipts[i].Replayed {
			continue
		}
		r := batch[i] // copy: the caller's batch is not modified
		r.Revision = receipts[i].Revision
		seq++
		var ik string
		if r.IdempotencyKey != "" {
			ik = string(idemKey(r.Sender, r.IdempotencyKey))
			if seen == nil {
				seen = map[string]keyed{}
			}
			seen[ik] = keyed{receipts[i], r.ContentKey()}
		}
		puts = append(puts,
			put{w.revisions, revisionKey(seq), encodeRevision(nil, seq, &r)},
			put{w.latest, latestKey(seriesKey(r.Plan, r.Indicator), r.Period), encodePointer(r.Revision, seq)})
		*entries = append(*entries, indexEntry{series: seriesKey(r.Plan, r.Indicator), seq: seq, idemKey: ik})
	}
	return receipts, puts, seq, seen, nil
}

// Keyed implements collector.Prior: keys stored by earlier requests of this
// transaction, then keys committed before.
func (w *txWrite) Keyed(r indicators.Revision) (indicators.Receipt, bool, bool, error) {
	ik := string(idemKey(r.Sender, r.IdempotencyKey))
	k, ok := w.keys[ik]
	if !ok {
		var err error
		if k, ok, err = w.stored(ik); err != nil {
			return indicators.Receipt{}, false, false, fmt.Errorf("idempotency key %q: %w", r.IdempotencyKey, err)
		}
	}
	if !ok {
		return indicators.Receipt{}, false, false, nil
	}
	return k.rc, k.content == r.ContentKey(), true, nil
}

// LastRevision implements collector.Prior from the latest pointer, which earlier
// requests of this transaction have already moved.
func (w *txWrite) LastRevision(plan, indicator, period string) (int, error) {
	v := w.latest.Get(latestKey(seriesKey(plan, indicator), period))
	if v == nil {
		return 0, nil
	}
	rev, _, err := decodePointer(v)
	if err != nil {
		return 0, fmt.Errorf("latest pointer of %s %s: %w", indicator, period, err)
	}
	return rev, nil
}

// Latest implements collector.Store: it walks the latest pointers and reads the
// records they name. A pointer or record that is damaged, or that disagrees with the
// other (a record of another indicator, period or revision), is left out and reported
// (damage.go): the store then takes no writes. The value is not replaced by an older
// revision, which would serve a superseded figure as the current one.
func (s *Store) Latest(ctx context.Context) ([]indicators.Revision, error) {
	out := []indicators.Revision{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		reviews, err := readReviews(tx, nil)
		if err != nil {
			s.damage.report("reviews", err)
			return err
		}
		defer func() { attachReviews(out, reviews) }()
		revs := tx.Bucket(bucketRevisions)
		c := tx.Bucket(bucketLatest).Cursor()
		key := make([]byte, 8)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, ok := s.pointedRecord(revs, k, v, key)
			if !ok {
				continue
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

// pointedRecord reads the record that latest pointer k → v names (key: a buffer for
// the record's key). A pointer or record that is damaged, or that disagrees with the
// other (a record of another indicator, period or revision), is reported and ok is false.
func (s *Store) pointedRecord(revs *bolt.Bucket, k, v, key []byte) (r indicators.Revision, ok bool) {
	plan, ind, period := splitLatestKey(k)
	rev, seq, err := decodePointer(v)
	if err != nil {
		s.reportRecord(&RecordError{Plan: plan, Indicator: ind, Period: period, Err: err})
		return r, false
	}
	binary.BigEndian.PutUint64(key, seq)
	rec := revs.Get(key)
	if rec == nil {
		s.reportRecord(&RecordError{Plan: plan, Indicator: ind, Period: period, Err: damaged("names record %d, which does not exist", seq)})
		return r, false
	}
	r, err = decodeRevision(seq, rec)
	if err != nil {
		s.reportRecord(recordError(seq, rec, plan, ind, period, err))
		return r, false
	}
	if r.Plan != plan || r.Indicator != ind || r.Period != period || r.Revision != rev {
		s.reportRecord(&RecordError{Seq: seq, Plan: plan, Indicator: ind, Period: period,
			Err: damaged("holds %s %s revision %d where the latest pointer expects revision %d", r.Indicator, r.Period, r.Revision, rev)})
		return r, false
	}
	return r, true
}

func (s *Store) reportRecord(e *RecordError) { s.damage.report(e.key(), e) }

// splitLatestKey is the inverse of latestKey(seriesKey(plan, indicator), period).
func splitLatestKey(k []byte) (plan, indicator, period string) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return "", string(k), ""
	}
	plan, rest := string(k[:i]), k[i+1:]
	j := bytes.IndexByte(rest, 0)
	if j < 0 {
		return plan, string(rest), ""
	}
	return plan, string(rest[:j]), string(rest[j+1:])
}

// History implements collector.Store: the index names the indicator's records, and
// the records committed since the index was read are found after its last sequence
// number. The result must agree with the latest pointers (revisions 1..N for every
// period whose pointer says N): a damaged record, or one missing because its damaged
// bytes no longer name the indicator, is an error naming it, never left out silently.
func (s *Store) History(ctx context.Context, plan, indicator string) ([]indicators.Revision, error) {
	series := seriesKey(plan, indicator)
	// Look up before the read transaction starts: every indexed record was committed
	// before it was indexed, so the transaction sees them all.
	seqs, last, err := s.index.lookup(ctx, series)
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
				return s.damaged(&RecordError{Seq: seq, Plan: plan, Indicator: indicator, Err: damaged("is named by the index but missing")})
			}
			r, err := decodeRevision(seq, rec)
			if err != nil {
				return s.damaged(recordError(seq, rec, plan, indicator, "", err))
			}
			out = append(out, r)
		}
		// Committed after the lookup (a few at most): not indexed yet.
		c := revs.Cursor()
		for k, v := c.Seek(revisionKey(last + 1)); k != nil; k, v = c.Next() {
			seq := binary.BigEndian.Uint64(k)
			r, err := decodeRevision(seq, v)
			if err != nil {
				return s.damaged(recordError(seq, v, "", "", "", err))
			}
			if r.Plan == plan && r.Indicator == indicator {
				out = append(out, r)
			}
		}
		if err := s.agreesWithLatest(tx, plan, indicator, out); err != nil {
			return err
		}
		reviews, err := readReviews(tx, reviewPrefix(plan, indicator, ""))
		if err != nil {
			s.damage.report("reviews of "+plan+" "+indicator, err)
			return err
		}
		attachReviews(out, reviews)
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
		plan, indicator string
		end             int64
	}
	first := map[akey]indicators.Arrival{}
	add := func(r indicators.Revision) {
		k := akey{r.Plan, r.Indicator, r.PeriodEnd.UnixNano()}
		if old, ok := first[k]; !ok || r.ReceivedAt.Before(old.FirstReceived) {
			first[k] = indicators.Arrival{Plan: r.Plan, Indicator: r.Indicator, Period: r.Period, PeriodEnd: r.PeriodEnd, FirstReceived: r.ReceivedAt}
		}
	}
	corrected := map[[2]string]bool{} // (plan, indicator)
	err := s.view(ctx, func(tx *bolt.Tx) error {
		revs := tx.Bucket(bucketRevisions)
		c := tx.Bucket(bucketLatest).Cursor()
		key := make([]byte, 8)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			// Damage is left out and reported, as in Latest: the arrival of a period
			// whose record cannot be trusted is not served either.
			r, ok := s.pointedRecord(revs, k, v, key)
			if !ok || !want[r.PeriodEnd.UnixNano()] {
				continue
			}
			if r.Revision > 1 {
				corrected[[2]string{r.Plan, r.Indicator}] = true
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
		hist, err := s.History(ctx, id[0], id[1])
		if errors.Is(err, ErrDamaged) {
			continue // reported by History; the indicator's arrivals are not served
		}
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
		if c := strings.Compare(a.Plan, b.Plan); c != 0 {
			return c
		}
		if c := strings.Compare(a.Indicator, b.Indicator); c != 0 {
			return c
		}
		return a.PeriodEnd.Compare(b.PeriodEnd)
	})
	return out, nil
}

// agreesWithLatest checks one indicator's records against its latest pointers: every
// period holds revisions 1..N where the pointer says N.
func (s *Store) agreesWithLatest(tx *bolt.Tx, plan, indicator string, revs []indicators.Revision) error {
	have := map[string][]int{}
	for _, r := range revs {
		have[r.Period] = append(have[r.Period], r.Revision)
	}
	want := map[string]int{}
	prefix := latestKey(seriesKey(plan, indicator), "")
	c := tx.Bucket(bucketLatest).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		period := string(k[len(prefix):])
		rev, _, err := decodePointer(v)
		if err != nil {
			return s.damaged(&RecordError{Plan: plan, Indicator: indicator, Period: period, Err: err})
		}
		want[period] = rev
	}
	for period := range have {
		if _, ok := want[period]; !ok {
			return s.damaged(&RecordError{Plan: plan, Indicator: indicator, Period: period, Err: damaged("is missing while records of the period exist")})
		}
	}
	for period, n := range want {
		got := have[period]
		slices.Sort(got)
		ok := len(got) == n
		for i := 0; ok && i < n; i++ {
			ok = got[i] == i+1
		}
		if !ok {
			return s.damaged(&RecordError{Plan: plan, Indicator: indicator, Period: period,
				Err: damaged("says revision %d but the readable records hold revisions %v: a record of the period is damaged", n, got)})
		}
	}
	return nil
}

// damaged reports e and returns it.
func (s *Store) damaged(e *RecordError) error {
	s.reportRecord(e)
	return e
}

func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.inflight.Done()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.recoverDamage("a read", &err)
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
	<-s.probeDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}
