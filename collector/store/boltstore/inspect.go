package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"syscall"
	"time"
)

// Before bbolt maps a file, inspect reads its two meta pages with plain reads and
// checks what bbolt would otherwise trust:
//
//   - A 0-byte file is damage, not a new store: bbolt would initialise it and the
//     collector would start "ready" and empty. A new store is created only where no
//     file exists, and it is never empty (see create).
//   - Both meta pages must pass bbolt's own checksum. bbolt needs only one: when the
//     newer one fails it silently opens the older one, a transaction behind, which
//     loses the last acknowledged batch. That is refused here instead.
//   - The file must be at least as long as the newer meta page says its pages reach
//     (page count × page size). bbolt maps the file beyond its end, and the first
//     read of a page past the end kills the process with SIGBUS.
//
// The layout read here is bbolt's on-disk format version 2 (go.etcd.io/bbolt
// internal/common): a page header of 16 bytes (id, flags, count, overflow), then the
// meta, in the machine's byte order:
//
//	magic u32 · version u32 · page size u32 · flags u32 · root bucket (root page u64,
//	sequence u64) · freelist page u64 · page count u64 · txid u64 · checksum u64
//
// where the checksum is FNV-64a of the 56 bytes before it.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64
	metaSumOffset  = 56
	noFreelist     = ^uint64(0)
)

type boltMeta struct {
	magic, version, pageSize uint32
	root, freelist, pgid     uint64
	txid                     uint64
	sumOK                    bool
}

func parseMeta(b []byte) boltMeta {
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	ne := binary.NativeEndian
	h := fnv.New64a()
	_, _ = h.Write(m[:metaSumOffset]) // a hash.Hash never returns an error
	return boltMeta{
		magic:    ne.Uint32(m[0:]),
		version:  ne.Uint32(m[4:]),
		pageSize: ne.Uint32(m[8:]),
		root:     ne.Uint64(m[16:]),
		freelist: ne.Uint64(m[32:]),
		pgid:     ne.Uint64(m[40:]),
		txid:     ne.Uint64(m[48:]),
		sumOK:    ne.Uint64(m[metaSumOffset:]) == h.Sum64(),
	}
}

// problem says what is wrong with one meta page, or "".
func (m boltMeta) problem() string {
	switch {
	case m.magic != boltMagic:
		return "does not carry bbolt's magic number"
	case m.version != boltVersion:
		return fmt.Sprintf("has bbolt format version %d (want %d)", m.version, boltVersion)
	case !m.sumOK:
		return "fails its checksum"
	case m.pageSize < 512 || m.pageSize > 1<<16 || m.pageSize&(m.pageSize-1) != 0:
		return fmt.Sprintf("gives an impossible page size %d", m.pageSize)
	case m.pgid < 4 || m.root < 2 || m.root >= m.pgid || (m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid)):
		return fmt.Sprintf("points outside the file's %d pages", m.pgid)
	}
	return ""
}

// fileInfo is what inspect learned about a sound file.
type fileInfo struct {
	size     int64 // bytes on disk
	pageSize int
	used     int64 // bytes the last transaction's pages reach
	txid     uint64
}

// errNoFile: there is no file (a new store is created).
var errNoFile = errors.New("no store file")

// inspect checks the file at path as described above. It takes a shared lock while
// it reads, so that a store in use by another process is reported as such rather
// than read while that process writes; it waits up to timeout for the lock.
func inspect(path string, timeout time.Duration) (info fileInfo, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fileInfo{}, errNoFile
	}
	if err != nil {
		return fileInfo{}, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := lockShared(f, timeout); err != nil {
		return fileInfo{}, err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing releases it too
	st, err := f.Stat()
	if err != nil {
		return fileInfo{}, err
	}
	if !st.Mode().IsRegular() {
		return fileInfo{}, fmt.Errorf("%w: %s is not a regular file", ErrNotStore, path)
	}
	size := st.Size()
	if size == 0 {
		return fileInfo{}, damaged("the file is empty (0 bytes): a duban store is never empty, not even a new one, so it was cut short or copied wrongly")
	}
	head := make([]byte, pageHeaderSize+metaSize)
	if size < int64(len(head)) {
		return fileInfo{}, damaged("the file is %d bytes, shorter than bbolt's first meta page: it was cut short", size)
	}
	if _, err := f.ReadAt(head, 0); err != nil {
		return fileInfo{}, fmt.Errorf("read meta page 0: %w", err)
	}
	m0 := parseMeta(head)
	ps := int64(m0.pageSize)
	if m0.problem() != "" {
		ps = int64(os.Getpagesize()) // where bbolt would look for the second one
	}
	var m1 boltMeta
	p1 := "missing (the file ends before it)"
	if size >= ps+int64(len(head)) {
		if _, err := f.ReadAt(head, ps); err != nil && !errors.Is(err, io.EOF) {
			return fileInfo{}, fmt.Errorf("read meta page 1: %w", err)
		}
		m1 = parseMeta(head)
		p1 = m1.problem()
	}
	p0 := m0.problem()
	if m0.magic != boltMagic && m1.magic != boltMagic {
		return fileInfo{}, fmt.Errorf("%w: not even a bbolt database (neither meta page carries bbolt's magic number)", ErrNotStore)
	}
	switch {
	case p0 != "" && p1 != "":
		return fileInfo{}, damaged("both bbolt meta pages are bad: page 0 %s, page 1 %s", p0, p1)
	case p0 != "" || p1 != "":
		bad, why := 0, p0
		if p1 != "" {
			bad, why = 1, p1
		}
		return fileInfo{}, damaged("bbolt meta page %d %s; bbolt would silently fall back to the other one, which may be one transaction older and lose the last acknowledged reports", bad, why)
	case m0.pageSize != m1.pageSize:
		return fileInfo{}, damaged("the two bbolt meta pages disagree on the page size (%d and %d)", m0.pageSize, m1.pageSize)
	}
	newest := m0
	if m1.txid > m0.txid {
		newest = m1
	}
	// pgid*ps > size, compared without multiplying: pgid is read from the file and
	// may be any number.
	if pages := uint64(size / ps); newest.pgid > pages { //nolint:gosec // G115: size and ps are positive
		used := newest.pgid * uint64(ps) //nolint:gosec // G115: a page size
		return fileInfo{}, damaged("the file is %d bytes but its last transaction uses %d (%d pages of %d bytes): it was cut short", size, used, newest.pgid, ps)
	}
	used := int64(newest.pgid) * ps //nolint:gosec // G115: at most size, checked just above
	return fileInfo{size: size, pageSize: int(ps), used: used, txid: newest.txid}, nil
}

// lockShared takes a shared flock on f, waiting up to timeout: a process writing the
// store holds it exclusively.
func lockShared(f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			return errLocked
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errLocked: another process holds the store.
var errLocked = errors.New("locked by another process (is another duban running on this data directory?)")
