package boltstore_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/boltstore"
)

// Random single-bit flips anywhere in a store's pages (meta pages included): whatever
// a flip hits (a record, a key, a page header, a branch element, the freelist), Open
// refuses or the store reads what is intact and reports the rest; nothing panics or
// faults, nothing hangs.
func TestRandomFlippedBitsNeverCrash(t *testing.T) {
	src := t.TempDir()
	s := open(t, src)
	fill(t, s, 3000, 30)
	must(t, s.Close())
	pristine, err := os.ReadFile(filepath.Join(src, boltstore.FileName))
	must(t, err)
	_, used := boltInfo(t, filepath.Join(src, boltstore.FileName))
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 11))
	n := 200
	if testing.Short() {
		n = 30
	}
	refused, noticed, unnoticed := 0, 0, 0
	for i := range n {
		dir := t.TempDir()
		b := append([]byte(nil), pristine[:used]...) // the rest of the file is space bbolt grew ahead
		at := rnd.Int64N(used)
		b[at] ^= 1 << rnd.UintN(8)
		path := filepath.Join(dir, boltstore.FileName)
		must(t, os.WriteFile(path, b, 0o600))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir})
		if err != nil {
			refused++
			cancel()
			continue
		}
		_, _ = s.Latest(ctx)
		for k := range 30 {
			_, _ = s.History(ctx, "", "B."+strconv.Itoa(k))
		}
		ok, _ := s.Ready(t.Context())
		must(t, s.Close())
		cancel()
		// bbolt's Tx.Check runs in a goroutine of its own that a page it cannot parse
		// may panic: duban runs it in a child process (cmd/duban); here it is left out.
		rep, err := boltstore.Check(context.Background(), boltstore.CheckConfig{Path: path,
			Structure: func(context.Context, string) ([]string, error) { return nil, nil }})
		switch {
		case err != nil:
			t.Fatalf("seed %d, flip %d at byte %d: Check: %v", seed, i, at, err)
		case !ok || !rep.Healthy():
			noticed++
		default:
			unnoticed++
		}
	}
	t.Logf("seed %d: %d flips: %d refused at open, %d found while reading or by Check, %d in bytes nothing reads (free space, padding)", seed, n, refused, noticed, unnoticed)
}
