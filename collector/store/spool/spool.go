// Package spool is a durable first-in first-out queue of opaque records on local disk,
// used to hold batches while a remote store is unreachable.
//
// One record is one file, named by its sequence number. Append writes the record to a
// temp file, fsyncs it, renames it into place and fsyncs the directory before it
// returns, so an acknowledged record survives SIGKILL and power loss, and a record is
// either entirely there or not at all (no torn writes to repair). Remove deletes a
// record once the consumer has applied it; a crash between applying and removing
// leaves the record in place, so consumers must apply records idempotently.
//
// A spool directory belongs to one process at a time (an exclusive flock on LOCK).
// Files other than records and temp files are left alone, so the owner may keep its own
// small state files beside them.
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	recordExt  = ".rec"
	tempPrefix = ".tmp-"
	magic      = "DUBANSP1"
	headerLen  = len(magic) + 8 + 4 + 4 // magic, created (unix ns), length, crc32c
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned by calls on a closed spool.
var ErrClosed = errors.New("spool: closed")

// Config configures a Spool.
type Config struct {
	Dir string // required; created when missing
	// Now is the clock stamped on records (time.Now when nil).
	Now func() time.Time
}

func (c *Config) defaults() error {
	if c.Dir == "" {
		return errors.New("spool: dir is required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Item describes one record waiting in the spool.
type Item struct {
	Seq     uint64
	Created time.Time
	Size    int
}

// Spool is a durable FIFO. Safe for concurrent use.
type Spool struct {
	cfg  Config
	lock *os.File
	dir  *os.File

	mu      sync.Mutex
	items   []Item // ordered by Seq
	next    uint64
	closed  bool
	corrupt []string
}

// Open opens (creating if needed) the spool in cfg.Dir, takes its lock, removes temp
// files left by a crash and indexes the records. A record whose checksum does not match
// (disk damage; renames are atomic, so crashes cannot cause it) is renamed to
// *.corrupt and reported by Corrupt.
func Open(cfg Config) (*Spool, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: create dir: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.Dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: open lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, errors.Join(fmt.Errorf("spool: %s is in use by another process: %w", cfg.Dir, err), lock.Close())
	}
	dir, err := os.Open(cfg.Dir)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("spool: open dir: %w", err), lock.Close())
	}
	s := &Spool{cfg: cfg, lock: lock, dir: dir, next: 1}
	if err := s.scan(); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func (s *Spool) scan() error {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("spool: read dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			if err := os.Remove(filepath.Join(s.cfg.Dir, name)); err != nil {
				return fmt.Errorf("spool: remove temp file: %w", err)
			}
		case strings.HasSuffix(name, recordExt):
			seq, err := strconv.ParseUint(strings.TrimSuffix(name, recordExt), 10, 64)
			if err != nil {
				continue
			}
			created, data, err := s.readFile(seq)
			if err != nil {
				bad := filepath.Join(s.cfg.Dir, name+".corrupt")
				if rerr := os.Rename(filepath.Join(s.cfg.Dir, name), bad); rerr != nil {
					return fmt.Errorf("spool: quarantine %s: %w", name, rerr)
				}
				s.corrupt = append(s.corrupt, bad)
				continue
			}
			s.items = append(s.items, Item{Seq: seq, Created: created, Size: len(data)})
			if seq >= s.next {
				s.next = seq + 1
			}
		}
	}
	sort.Slice(s.items, func(i, j int) bool { return s.items[i].Seq < s.items[j].Seq })
	return s.dir.Sync()
}

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.cfg.Dir, fmt.Sprintf("%020d%s", seq, recordExt))
}

// Append stores data as the newest record and returns once it is durable.
func (s *Spool) Append(data []byte) (Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Item{}, ErrClosed
	}
	if uint64(len(data)) > math.MaxUint32 {
		return Item{}, fmt.Errorf("spool: a record of %d bytes is more than its header can hold (4 GiB)", len(data))
	}
	seq := s.next
	created := s.cfg.Now()
	buf := make([]byte, headerLen+len(data))
	copy(buf, magic)
	binary.BigEndian.PutUint64(buf[8:], uint64(created.UnixNano()))
	binary.BigEndian.PutUint32(buf[16:], uint32(len(data))) //nolint:gosec // G115: at most MaxUint32, checked above
	binary.BigEndian.PutUint32(buf[20:], crc32.Checksum(data, castagnoli))
	copy(buf[headerLen:], data)

	tmp := filepath.Join(s.cfg.Dir, fmt.Sprintf("%s%020d", tempPrefix, seq))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Item{}, fmt.Errorf("spool: create record: %w", err)
	}
	if _, err := f.Write(buf); err != nil {
		return Item{}, errors.Join(fmt.Errorf("spool: write record: %w", err), f.Close(), os.Remove(tmp))
	}
	if err := f.Sync(); err != nil {
		return Item{}, errors.Join(fmt.Errorf("spool: fsync record: %w", err), f.Close(), os.Remove(tmp))
	}
	if err := f.Close(); err != nil {
		return Item{}, errors.Join(fmt.Errorf("spool: close record: %w", err), os.Remove(tmp))
	}
	if err := os.Rename(tmp, s.path(seq)); err != nil {
		return Item{}, errors.Join(fmt.Errorf("spool: rename record: %w", err), os.Remove(tmp))
	}
	if err := s.dir.Sync(); err != nil {
		return Item{}, fmt.Errorf("spool: fsync dir: %w", err)
	}
	s.next++
	it := Item{Seq: seq, Created: time.Unix(0, created.UnixNano()), Size: len(data)}
	s.items = append(s.items, it)
	return it, nil
}

// Items returns the waiting records, oldest first. The caller owns the slice.
func (s *Spool) Items() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Item(nil), s.items...)
}

// Len is the number of waiting records.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// Oldest returns the creation time of the oldest waiting record; false when empty.
func (s *Spool) Oldest() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) == 0 {
		return time.Time{}, false
	}
	return s.items[0].Created, true
}

// Corrupt lists the records quarantined by Open.
func (s *Spool) Corrupt() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.corrupt...)
}

// Read returns one record's data.
func (s *Spool) Read(seq uint64) ([]byte, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	_, data, err := s.readFile(seq)
	return data, err
}

func (s *Spool) readFile(seq uint64) (time.Time, []byte, error) {
	b, err := os.ReadFile(s.path(seq))
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("spool: read record %d: %w", seq, err)
	}
	if len(b) < headerLen || string(b[:8]) != magic {
		return time.Time{}, nil, fmt.Errorf("spool: record %d: bad header", seq)
	}
	created := time.Unix(0, int64(binary.BigEndian.Uint64(b[8:]))) //nolint:gosec // G115: the bits Append wrote from an int64
	n := binary.BigEndian.Uint32(b[16:])
	sum := binary.BigEndian.Uint32(b[20:])
	data := b[headerLen:]
	if uint64(len(data)) != uint64(n) || crc32.Checksum(data, castagnoli) != sum {
		return time.Time{}, nil, fmt.Errorf("spool: record %d: checksum mismatch", seq)
	}
	return created, data, nil
}

// Remove deletes records once they have been applied, with one directory fsync;
// removing a missing record is not an error (it was removed before a crash).
func (s *Spool) Remove(seqs ...uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	gone := make(map[uint64]bool, len(seqs))
	for _, seq := range seqs {
		if err := os.Remove(s.path(seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: remove record %d: %w", seq, err)
		}
		gone[seq] = true
	}
	if err := s.dir.Sync(); err != nil {
		return fmt.Errorf("spool: fsync dir: %w", err)
	}
	kept := s.items[:0]
	for _, it := range s.items {
		if !gone[it.Seq] {
			kept = append(kept, it)
		}
	}
	s.items = kept
	return nil
}

// Close releases the lock. Records stay on disk for the next Open.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.dir != nil {
		errs = append(errs, s.dir.Close())
	}
	errs = append(errs, s.lock.Close()) // closing the fd releases the flock
	return errors.Join(errs...)
}
