package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/collector/store/storetest"
	"github.com/duban-gov/duban/indicators"
)

func open(t testing.TB, dir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Config{
		Open: func(t *testing.T) collector.Store { return open(t, t.TempDir()) },
		Reopen: func(t *testing.T, closed collector.Store) collector.Store {
			return open(t, filepath.Dir(closed.(*boltstore.Store).Path()))
		},
	})
}

func TestOpenRefuses(t *testing.T) {
	held := t.TempDir()
	s := open(t, held)
	t.Cleanup(func() { _ = s.Close() })
	cases := map[string]struct {
		cfg  boltstore.Config
		want string
	}{
		"a config without a directory": {boltstore.Config{}, "Dir is required"},
		"a directory another store holds": {
			boltstore.Config{Dir: held, OpenTimeout: 50 * time.Millisecond}, "locked by another process",
		},
		"a directory that is a file": {boltstore.Config{Dir: s.Path()}, "data directory"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := boltstore.Open(context.Background(), c.cfg)
			if err == nil {
				_ = got.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestBatchesTheKeysCannotHoldAreRefusedWhole(t *testing.T) {
	s := open(t, t.TempDir())
	t.Cleanup(func() { _ = s.Close() })
	good := benchRevision(1, 10)
	cases := map[string]func(r *indicators.Revision){
		"an empty indicator":             func(r *indicators.Revision) { r.Indicator = "" },
		"a NUL byte in the indicator":    func(r *indicators.Revision) { r.Indicator = "1\x002" },
		"an empty period":                func(r *indicators.Revision) { r.Period = "" },
		"a NUL byte in the sender":       func(r *indicators.Revision) { r.Sender = "fgw\x00" },
		"an idempotency key over 32 KiB": func(r *indicators.Revision) { r.IdempotencyKey = strings.Repeat("k", 40000) },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			bad := good
			change(&bad)
			if _, err := s.Append(context.Background(), []indicators.Revision{good, bad}); !errors.Is(err, boltstore.ErrInvalid) {
				t.Fatalf("Append = %v, want ErrInvalid", err)
			}
			latest, err := s.Latest(context.Background())
			if err != nil || len(latest) != 0 {
				t.Errorf("after a refused batch Latest = %d values, %v; want none", len(latest), err)
			}
		})
	}
}

func TestReadyUntilClosed(t *testing.T) {
	s := open(t, t.TempDir())
	if ok, detail := s.Ready(t.Context()); !ok {
		t.Errorf("open store not ready: %s", detail)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Ready(t.Context()); ok {
		t.Error("closed store says ready")
	}
	if _, err := s.Latest(context.Background()); !errors.Is(err, boltstore.ErrClosed) {
		t.Errorf("Latest after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// The history index is built by a scan after Open while appends and reads go on: no
// revision may be missed or counted twice, and a read during appends never fails.
func TestHistoryWhileTheIndexIsBuiltAndAppendsGoOn(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	const stored = 30000
	fill(t, s, stored, 10) // B.0..B.9, 3000 revisions each
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	var wg sync.WaitGroup
	const writers, appends = 4, 50
	for g := range writers {
		wg.Go(func() {
			for a := range appends {
				r := benchRevision(g*appends+a, 10)
				if _, err := s.Append(ctx, []indicators.Revision{r}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			if _, err := s.History(ctx, "", "B.3"); err != nil {
				t.Errorf("History during appends: %v", err)
				return
			}
		}
	})
	wg.Wait()
	total := 0
	for i := range 10 {
		hist, err := s.History(ctx, "", "B."+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range hist {
			k := r.Period + "#" + strconv.Itoa(r.Revision)
			if seen[k] {
				t.Fatalf("B.%d: %s twice in History", i, k)
			}
			seen[k] = true
		}
		total += len(hist)
	}
	if want := stored + writers*appends; total != want {
		t.Errorf("History holds %d revisions in all, want %d", total, want)
	}
}

func TestAFileOfAnotherFormatIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		if err := meta.Delete([]byte("header")); err != nil { // as development builds wrote it
			return err
		}
		return meta.Put([]byte("format"), []byte("1"))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir}); err == nil {
		_ = s.Close()
		t.Fatal("Open accepted a file of another format")
	} else if !errors.Is(err, boltstore.ErrFormat) || !strings.Contains(err.Error(), "format 1") {
		t.Errorf("error %q is not ErrFormat naming format 1", err)
	}
}

// Closing right after Open, while the index scan runs, neither hangs nor breaks the
// file; appends wait for the scan and then count on from what is stored.
func TestCloseDuringTheIndexScan(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	fill(t, s, 20000, 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s = open(t, dir)
		if err := s.Close(); err != nil {
			t.Fatalf("Close during the scan: %v", err)
		}
	}
	s = open(t, dir)
	t.Cleanup(func() { _ = s.Close() })
	rc, err := s.Append(context.Background(), []indicators.Revision{benchRevision(20000, 10)})
	if err != nil {
		t.Fatal(err)
	}
	// The receipt's revision is the count of that period's revisions in History.
	hist, err := s.History(context.Background(), "", "B.0")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range hist {
		if r.Period == rc[0].Period {
			n++
		}
	}
	if rc[0].Revision != n {
		t.Errorf("new revision %d, but History holds %d revisions of %s %s", rc[0].Revision, n, rc[0].Indicator, rc[0].Period)
	}
}
