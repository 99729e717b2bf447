package boltstore

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Errors Open, Check and the reads wrap, so that callers (duban's exit codes, the
// API) can tell a damaged file from a file that is not a store this build can use.
var (
	// ErrDamaged: the file is a duban store but damaged (empty, truncated, a meta page
	// or a record failing its checksum, pointers disagreeing with records).
	ErrDamaged = errors.New("the store is damaged")
	// ErrNotStore: the file is not a duban store (another bbolt file, or not bbolt).
	ErrNotStore = errors.New("not a duban store")
	// ErrFormat: a duban store in a format this build does not read (written by a
	// newer duban, or by an early development build).
	ErrFormat = errors.New("a store format this build does not read")
)

// damage is an error that is ErrDamaged, with its own words.
type damage struct{ msg string }

func (d *damage) Error() string        { return d.msg }
func (d *damage) Is(target error) bool { return target == ErrDamaged }

func damaged(format string, args ...any) error {
	return &damage{fmt.Sprintf(format, args...)}
}

// RecordError names a stored record (or latest pointer) that fails its checksum, does
// not decode, or disagrees with the other bucket. It is ErrDamaged.
type RecordError struct {
	Seq       uint64 // sequence number, the record's key; 0 for a latest pointer
	Plan      string // when known, as Indicator
	Indicator string // when known: from the access path, or the record itself
	Period    string
	Err       error
}

func (e *RecordError) Error() string {
	var b strings.Builder
	if e.Seq != 0 {
		fmt.Fprintf(&b, "record %d", e.Seq)
	} else {
		b.WriteString("latest pointer")
	}
	if e.Plan != "" {
		fmt.Fprintf(&b, " (plan %s)", e.Plan)
	}
	switch {
	case e.Indicator != "" && e.Period != "":
		fmt.Fprintf(&b, " (indicator %s, period %s)", e.Indicator, e.Period)
	case e.Indicator != "":
		fmt.Fprintf(&b, " (indicator %s)", e.Indicator)
	}
	b.WriteByte(' ')
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *RecordError) Unwrap() error { return e.Err }

// key identifies the damaged thing, so that reading it twice counts it once.
func (e *RecordError) key() string {
	if e.Seq != 0 {
		return fmt.Sprintf("record %d", e.Seq)
	}
	return "latest " + e.Plan + "\x00" + e.Indicator + "\x00" + e.Period
}

// recordError names the record stored under seq whose bytes b are damaged: the
// indicator and period come from the access path when given, otherwise from what the
// damaged bytes still say (only to name it; never served).
func recordError(seq uint64, b []byte, plan, indicator, period string, err error) *RecordError {
	e := &RecordError{Seq: seq, Plan: plan, Indicator: indicator, Period: period, Err: err}
	if r, derr := decodeUnchecked(b); derr == nil {
		if e.Indicator == "" {
			e.Plan, e.Indicator = r.Plan, r.Indicator
		}
		if e.Period == "" && r.Indicator == e.Indicator {
			e.Period = r.Period
		}
	}
	return e
}

// damageLog remembers the damage a running store has found. Once it holds anything the
// store takes no more writes: a report acknowledged into a file the operator is about
// to replace with a backup would be lost, while a refused one is sent again.
type damageLog struct {
	log *slog.Logger

	mu    sync.Mutex
	found map[string]bool
	first string
}

func newDamageLog(log *slog.Logger) *damageLog {
	return &damageLog{log: log, found: map[string]bool{}}
}

// report records err (ErrDamaged) under key; each key is logged once.
func (d *damageLog) report(key string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.found[key] {
		return
	}
	d.found[key] = true
	if d.first == "" {
		d.first = err.Error()
	}
	d.log.Error("store damaged: the damaged data is not served and the store takes no writes; run `duban store check` and restore a backup (README: Backup and restore)",
		"damage", err.Error(), "found", len(d.found))
}

func (d *damageLog) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.found)
}

// err is nil while nothing was found.
func (d *damageLog) err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.found) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d damaged records or pointers found (first: %s); it takes no writes until a backup is restored: run `duban store check`",
		ErrDamaged, len(d.found), d.first)
}
