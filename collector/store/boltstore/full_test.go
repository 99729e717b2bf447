package boltstore_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// A full disk, made real with RLIMIT_FSIZE: writes past the limit fail with EFBIG as
// they would with ENOSPC (SIGXFSZ, which would kill a C program, is ignored by the Go
// runtime). The limit applies to the whole process, so the scenario runs in a child:
// the test binary re-executed.
const envFullDir = "DUBAN_BOLTSTORE_FULL_DIR"

func TestAFullDiskMakesTheStoreNotReadyUntilAWriteCommits(t *testing.T) {
	if dir := os.Getenv(envFullDir); dir != "" {
		fullDiskScenario(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAFullDiskMakesTheStoreNotReadyUntilAWriteCommits$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envFullDir+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

func fullDiskScenario(t *testing.T, dir string) {
	ctx := context.Background()
	s, err := boltstore.Open(ctx, boltstore.Config{Dir: dir, ProbeInterval: 20 * time.Millisecond})
	must(t, err)
	defer s.Close()
	fill(t, s, 2000, 10)
	var acked []indicators.Receipt
	batch := func(from int) []indicators.Revision {
		b := make([]indicators.Revision, 1000)
		for i := range b {
			b[i] = benchRevision(from+i, 10)
		}
		return b
	}

	var saved syscall.Rlimit
	must(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &saved))
	limit := usedBytes(t, s) + 64<<10
	must(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(limit), Max: saved.Max}))
	failedAt := -1
	for i := range 20 {
		rcs, err := s.Append(ctx, batch(10000+1000*i))
		if err != nil {
			if !errors.Is(err, syscall.EFBIG) {
				t.Fatalf("append %d failed with %v, want EFBIG (file too large)", i, err)
			}
			failedAt = i
			break
		}
		acked = append(acked, rcs...)
	}
	if failedAt < 0 {
		t.Fatal("20 batches of 1000 fitted under the limit")
	}
	ok, detail := s.Ready(t.Context())
	if ok || !strings.Contains(detail, "cannot write") || !strings.Contains(detail, "file too large") {
		t.Fatalf("after a failed commit Ready = %v %q, want not ready saying why", ok, detail)
	}
	time.Sleep(200 * time.Millisecond) // ten probes: none fits under the limit
	if ok, detail := s.Ready(t.Context()); ok {
		t.Fatalf("ready again while the disk is still full: %q", detail)
	}

	must(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &saved)) // space is back
	waitFor(t, func() bool { ok, _ := s.Ready(t.Context()); return ok })
	rcs, err := s.Append(ctx, batch(50000))
	must(t, err)
	acked = append(acked, rcs...)
	must(t, s.Close())

	s, err = boltstore.Open(ctx, boltstore.Config{Dir: dir})
	must(t, err)
	have := map[indicators.Receipt]bool{}
	for i := range 10 {
		hist, err := s.History(ctx, "", "B."+string(rune('0'+i)))
		must(t, err)
		for _, r := range hist {
			have[indicators.Receipt{Indicator: r.Indicator, Period: r.Period, Revision: r.Revision}] = true
		}
	}
	for _, rc := range acked {
		if !have[rc] {
			t.Fatalf("acknowledged, then lost: %+v", rc)
		}
	}
	if want := 2000 + len(acked); len(have) != want {
		t.Errorf("the store holds %d revisions, want %d: the failed batch left something behind", len(have), want)
	}
	t.Logf("limit %d bytes: batch %d failed, not ready until the limit was lifted; %d acknowledged reports all kept", limit, failedAt, len(acked))
}

// usedBytes is what the store's file uses now (read through a backup: the store holds
// the file lock).
func usedBytes(t *testing.T, s *boltstore.Store) int64 {
	t.Helper()
	n, err := s.Backup(context.Background(), discard{}, nil)
	must(t, err)
	return n
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
