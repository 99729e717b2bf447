package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/indicators"
)

// CheckConfig configures Check.
type CheckConfig struct {
	// Path is the store file (<data dir>/duban.db, or a backup). Required.
	Path string
	// Timeout bounds the wait for the file lock: a running `duban serve` holds it, so
	// check a backup of a serving store. Default 2s.
	Timeout time.Duration
	// Structure runs bbolt's own verification (Tx.Check: every page reachable once,
	// free pages not in use, keys in order) on the file and returns what it reports.
	// Tx.Check runs in a goroutine of its own where a page it cannot parse panics the
	// whole process, so duban runs it in a child process; the default runs
	// CheckStructure here.
	Structure func(ctx context.Context, path string) ([]string, error)
	// MaxProblems caps the problems listed (they are all counted). Default 100.
	MaxProblems int
}

// CheckReport is what Check found. Problems is empty for a healthy store.
type CheckReport struct {
	Path      string
	FileBytes int64 // the file's length
	UsedBytes int64 // what its last transaction uses (page count × page size)
	Format    int
	CreatedAt string
	Records   int // records read and verified
	Latest    int // latest pointers verified against the records
	Reviews   int // reviews verified against the records they judge
	Closures  int // plan closures verified
	Problems  []string
	More      int // problems beyond MaxProblems, counted only
	Notes     []string
}

// Healthy reports whether nothing is wrong.
func (r *CheckReport) Healthy() bool { return len(r.Problems) == 0 }

func (r *CheckReport) problem(limit int, format string, args ...any) {
	if len(r.Problems) >= limit {
		r.More++
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Check verifies a store file completely, read-only: the checks Open makes (length,
// meta pages, header, format), bbolt's structure check, every record's checksum, and
// the latest pointers against the records (each names a record of its indicator,
// period and revision; every period holds revisions 1..N). Damage is reported in the
// CheckReport; the error is for a check that could not run (no file, locked, I/O).
func Check(ctx context.Context, cfg CheckConfig) (*CheckReport, error) {
	if cfg.Path == "" {
		return nil, errors.New("boltstore: check: Path is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.MaxProblems <= 0 {
		cfg.MaxProblems = 100
	}
	if cfg.Structure == nil {
		cfg.Structure = CheckStructure
	}
	rep := &CheckReport{Path: cfg.Path}
	info, err := inspect(cfg.Path, cfg.Timeout)
	switch {
	case errors.Is(err, errNoFile):
		return nil, fmt.Errorf("boltstore: check: there is no store at %s", cfg.Path)
	case errors.Is(err, errLocked):
		return nil, fmt.Errorf("boltstore: check: %s is %w: stop it first, or check a backup taken while it serves (duban store backup FILE --server URL)", cfg.Path, errLocked)
	case errors.Is(err, ErrDamaged), errors.Is(err, ErrNotStore):
		rep.problem(cfg.MaxProblems, "%v", err)
		return rep, nil
	case err != nil:
		return nil, fmt.Errorf("boltstore: check %s: %w", cfg.Path, err)
	}
	rep.FileBytes, rep.UsedBytes = info.size, info.used
	db, err := openBolt(cfg.Path, &bolt.Options{ReadOnly: true, Timeout: cfg.Timeout, PreLoadFreelist: true})
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			rep.problem(cfg.MaxProblems, "%v", err)
			return rep, nil
		}
		return nil, refuse(cfg.Path, err)
	}
	// For the early returns: the check's own path closes it below and checks that.
	defer func() { _ = db.Close() }()
	err = safeView(db, func(tx *bolt.Tx) error {
		h, err := identify(tx)
		if err != nil {
			rep.problem(cfg.MaxProblems, "%v", err)
			return nil
		}
		rep.Format, rep.CreatedAt = h.Format, h.CreatedAt
		if h.Format < formatCurrent {
			what := map[int]string{3: "records have no checksums yet", 4: "no reviews bucket yet", 5: "records and reviews have no plan yet"}[h.Format]
			rep.Notes = append(rep.Notes, fmt.Sprintf("format %d: %s; duban serve migrates the store to format %d when it opens it, assigning every record to its default plan", h.Format, what, formatCurrent))
		}
		return checkRecords(ctx, tx, h.Format, rep, cfg.MaxProblems)
	})
	if err != nil {
		if !errors.Is(err, ErrDamaged) {
			return nil, fmt.Errorf("boltstore: check %s: %w", cfg.Path, err)
		}
		rep.problem(cfg.MaxProblems, "%v", err)
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("boltstore: check %s: %w", cfg.Path, err)
	}
	structure, err := cfg.Structure(ctx, cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("boltstore: check %s: bbolt structure check: %w", cfg.Path, err)
	}
	for _, p := range structure {
		rep.problem(cfg.MaxProblems, "bbolt structure: %s", p)
	}
	return rep, nil
}

// checkRecords reads every record and pointer (check.go's part of Check).
func checkRecords(ctx context.Context, tx *bolt.Tx, format int, rep *CheckReport, limit int) error {
	ff := formatOf(format)
	decode, keyOf, split := ff.decode, ff.key, ff.split
	revs := tx.Bucket(bucketRevisions)
	byPeriod := map[string][]int{} // latest key → revisions found
	var lastSeq uint64
	c := revs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			rep.problem(limit, "revision key %x is not a sequence number", k)
			continue
		}
		seq := binary.BigEndian.Uint64(k)
		lastSeq = seq
		rep.Records++
		if rep.Records%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f, err := decode(seq, v)
		if err != nil {
			rep.problem(limit, "%v", recordError(seq, v, "", "", "", err))
			continue
		}
		k := keyOf(f)
		byPeriod[k] = append(byPeriod[k], f.revision)
	}
	if seq := revs.Sequence(); seq < lastSeq {
		rep.problem(limit, "the revisions bucket's sequence is %d, below its last record %d: new records would overwrite old ones", seq, lastSeq)
	}
	lc := tx.Bucket(bucketLatest).Cursor()
	for k, v := lc.First(); k != nil; k, v = lc.Next() {
		rep.Latest++
		plan, ind, period := split(k)
		rev, seq, err := decodePointer(v)
		if err != nil {
			rep.problem(limit, "%v", &RecordError{Plan: plan, Indicator: ind, Period: period, Err: err})
			continue
		}
		got := byPeriod[string(k)]
		delete(byPeriod, string(k))
		rec := revs.Get(revisionKey(seq))
		if rec == nil {
			rep.problem(limit, "%v", &RecordError{Plan: plan, Indicator: ind, Period: period, Err: damaged("names record %d, which does not exist", seq)})
			continue
		}
		f, err := decode(seq, rec)
		if err != nil { // listed with the records too, under what its damaged bytes say
			rep.problem(limit, "%v", &RecordError{Seq: seq, Plan: plan, Indicator: ind, Period: period, Err: fmt.Errorf("%w (the latest revision of the period)", err)})
			continue
		}
		if f.plan != plan || f.indicator != ind || f.period != period || f.revision != rev {
			rep.problem(limit, "%v", &RecordError{Seq: seq, Plan: plan, Indicator: ind, Period: period,
				Err: damaged("holds %s %s revision %d where the latest pointer expects revision %d", f.indicator, f.period, f.revision, rev)})
		}
		slices.Sort(got)
		ok := len(got) == rev
		for i := 0; ok && i < rev; i++ {
			ok = got[i] == i+1
		}
		if !ok {
			rep.problem(limit, "%v", &RecordError{Plan: plan, Indicator: ind, Period: period,
				Err: damaged("says revision %d but the readable records hold revisions %v", rev, got)})
		}
	}
	for k, got := range byPeriod {
		plan, ind, period := split([]byte(k))
		rep.problem(limit, "%v", &RecordError{Plan: plan, Indicator: ind, Period: period, Err: damaged("is missing while records %v of the period exist", got)})
	}
	if format >= 5 {
		checkReviews(tx, format, rep, limit)
	}
	checkClosures(tx, rep, limit)
	return nil
}

// checkClosures verifies every plan closure's checksum (closures.go).
func checkClosures(tx *bolt.Tx, rep *CheckReport, limit int) {
	b := tx.Bucket(bucketClosures)
	if b == nil {
		return
	}
	_ = b.ForEach(func(k, v []byte) error {
		rep.Closures++
		if _, _, err := decodeClosure(k, v); err != nil {
			rep.problem(limit, "%v", err)
		}
		return nil
	})
}

// formatOf reads records and latest keys of a store in format.
type formatOf int

func (f formatOf) decode(seq uint64, v []byte) (revisionFields, error) {
	var r indicators.Revision
	var err error
	switch f {
	case 3:
		r, err = decodeV1(v)
	case 4, 5:
		r, err = decodeV2(seq, v)
	default:
		r, err = decodeRevision(seq, v)
	}
	return revisionFields{r.Plan, r.Indicator, r.Period, r.Revision}, err
}

// key is the latest pointer's key of a record: by indicator and period alone before
// format 6, by plan, indicator and period since.
func (f formatOf) key(r revisionFields) string {
	if f < 6 {
		return string(latestKey(r.indicator, r.period))
	}
	return string(latestKey(seriesKey(r.plan, r.indicator), r.period))
}

func (f formatOf) split(k []byte) (plan, indicator, period string) {
	if f < 6 {
		_, ind, per := splitLatestKey(append([]byte{0}, k...))
		return "", ind, per
	}
	return splitLatestKey(k)
}

// checkReviews verifies every review's checksum and that it names a record of its
// plan, indicator, period and revision (a store of format 5 keeps them without the plan).
func checkReviews(tx *bolt.Tx, format int, rep *CheckReport, limit int) {
	revs := tx.Bucket(bucketRevisions)
	c := tx.Bucket(bucketReviews).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rep.Reviews++
		rv, seq, err := decodeReviewAs(format, k, v)
		if err != nil {
			rep.problem(limit, "%v", err)
			continue
		}
		rec := revs.Get(revisionKey(seq))
		if rec == nil {
			rep.problem(limit, "the review of %s %s revision %d names record %d, which does not exist", rv.Indicator, rv.Period, rv.Revision, seq)
			continue
		}
		r, err := formatOf(format).decode(seq, rec)
		if err == nil && (r.plan != rv.Plan || r.indicator != rv.Indicator || r.period != rv.Period || r.revision != rv.Revision) {
			rep.problem(limit, "the review of %s %s %s revision %d names record %d, which holds %s %s %s revision %d",
				rv.Plan, rv.Indicator, rv.Period, rv.Revision, seq, r.plan, r.indicator, r.period, r.revision)
		}
	}
}

type revisionFields struct {
	plan, indicator, period string
	revision                int
}

// CheckStructure runs bbolt's Tx.Check on the store file at path, read-only, and
// returns the problems it reports. A page bbolt cannot parse can panic it (in a
// goroutine of bbolt's, which no recover reaches): run it in a process of its own
// when the file may be damaged (duban does).
func CheckStructure(ctx context.Context, path string) (out []string, err error) {
	db, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second, PreLoadFreelist: true})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	err = safeView(db, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			out = append(out, err.Error())
		}
		return ctx.Err()
	})
	return out, err
}

// Backup writes a consistent copy of the store to w while it serves: bbolt's
// Tx.WriteTo inside a read transaction, so the copy is the store as of one commit and
// appends go on meanwhile (a read transaction does not block the writer; pages it
// still reads are not reused until it ends, so the file may grow a little during a
// long copy). size, when not nil, is called with the copy's length before the first
// byte is written. The copy is a store file like the original: Check it, then use it
// as duban.db.
func (s *Store) Backup(ctx context.Context, w io.Writer, size func(int64)) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if size != nil {
			size(tx.Size())
		}
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	return n, err
}

// BackupFile copies the store file at path to w, read-only, when no process serves
// it (a serving process holds the lock: use its Backup, GET /-/backup).
func BackupFile(ctx context.Context, path string, w io.Writer, timeout time.Duration) (n int64, err error) {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if _, err := inspect(path, timeout); err != nil {
		if errors.Is(err, errNoFile) {
			return 0, fmt.Errorf("boltstore: backup: there is no store at %s", path)
		}
		return 0, refuse(path, err)
	}
	db, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return 0, refuse(path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	err = safeView(db, func(tx *bolt.Tx) error {
		if _, err := identify(tx); err != nil {
			return err
		}
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		return n, refuse(path, err)
	}
	return n, nil
}

// ctxWriter stops a copy whose context is done (the client went away).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
