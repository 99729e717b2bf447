package boltstore_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// A backup taken while four writers append is a consistent store: it passes Check and
// holds every batch acknowledged before the backup began, whole.
func TestBackupWhileAppending(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	fill(t, s, 5000, 10)

	var (
		mu    sync.Mutex
		acked []indicators.Receipt
		stop  atomic.Bool
		wg    sync.WaitGroup
		next  atomic.Int64
	)
	next.Store(5000)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(2))
				rcs, err := s.Append(ctx, []indicators.Revision{benchRevision(i, 10), benchRevision(i+1, 10)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, rcs...)
				mu.Unlock()
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	before := append([]indicators.Receipt(nil), acked...)
	mu.Unlock()

	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, boltstore.FileName))
	must(t, err)
	var size int64
	n, err := s.Backup(ctx, f, func(n int64) { size = n })
	must(t, err)
	must(t, f.Close())
	time.Sleep(50 * time.Millisecond) // appends go on during and after the copy
	stop.Store(true)
	wg.Wait()
	if n != size || n == 0 {
		t.Fatalf("Backup wrote %d bytes, announced %d", n, size)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	if during == 0 {
		t.Error("no append was acknowledged while the backup ran: the test proves nothing")
	}

	rep, err := boltstore.Check(ctx, boltstore.CheckConfig{Path: f.Name()})
	must(t, err)
	if !rep.Healthy() {
		t.Fatalf("the backup fails Check: %q", rep.Problems)
	}
	copyStore := open(t, dir)
	defer copyStore.Close()
	have := map[indicators.Receipt]bool{}
	for i := range 10 {
		hist, err := copyStore.History(ctx, "", "B."+string(rune('0'+i)))
		must(t, err)
		for _, r := range hist {
			have[indicators.Receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}] = true
		}
	}
	for _, rc := range before {
		if !have[rc] {
			t.Fatalf("acknowledged before the backup began, missing from it: %+v", rc)
		}
	}
	t.Logf("backup of %d bytes holds %d revisions; %d acknowledged before it began, %d during and after", n, len(have), len(before), during)
}
