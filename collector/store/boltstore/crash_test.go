package boltstore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
)

// The crash test re-executes the test binary as a child that appends to the store as
// fast as it can and prints every acknowledged batch; the parent SIGKILLs it at a
// random moment, reopens the file and checks that nothing acknowledged was lost, that
// no batch was half applied, that revisions are 1..N per (indicator, period), and
// that idempotency keys survived.
const (
	envCrashDir   = "DUBAN_BOLTSTORE_CRASH_DIR"
	envCrashCycle = "DUBAN_BOLTSTORE_CRASH_CYCLE"
)

// ackLine: "ack <tag> <n> <indicator>|<period>|<revision>|<replayed> ..." where tag
// names the batch and n its size.
func ackLine(tag string, rcs []indicators.Receipt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ack %s %d", tag, len(rcs))
	for _, rc := range rcs {
		fmt.Fprintf(&b, " %s|%s|%d|%t", rc.Indicator, rc.Period, rc.Revision, rc.Replayed)
	}
	b.WriteByte('\n')
	return b.String()
}

func parseAck(line string) (tag string, rcs []indicators.Receipt, ok bool) {
	f := strings.Fields(line)
	if len(f) < 3 || f[0] != "ack" {
		return "", nil, false
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || len(f) != 3+n {
		return "", nil, false
	}
	for _, e := range f[3:] {
		p := strings.Split(e, "|")
		if len(p) != 4 {
			return "", nil, false
		}
		rev, err1 := strconv.Atoi(p[2])
		rep, err2 := strconv.ParseBool(p[3])
		if err1 != nil || err2 != nil {
			return "", nil, false
		}
		rcs = append(rcs, indicators.Receipt{Indicator: p[0], Period: p[1], Revision: rev, Replayed: rep})
	}
	return f[1], rcs, true
}

// crashBatch is batch a of goroutine g in a cycle: 1..6 reports (one batch in ten:
// 200..999, spanning many pages) over 12 indicators and 4 periods, each with an
// idempotency key and a note "<tag>/<k>/<n>".
func crashBatch(tag string, rnd *rand.Rand) []indicators.Revision {
	n := 1 + rnd.IntN(6)
	if rnd.IntN(10) == 0 {
		n = 200 + rnd.IntN(800)
	}
	batch := make([]indicators.Revision, n)
	for k := range batch {
		p := indicators.Period{Kind: indicators.PeriodMonth, Year: 2026, Month: time.Month(1 + rnd.IntN(4)), Day: 28}
		v := rnd.Float64() * 1000
		batch[k] = indicators.Revision{
			Report: indicators.Report{
				Indicator:      "K." + strconv.Itoa(rnd.IntN(12)),
				Period:         p.String(),
				Value:          &v,
				Note:           fmt.Sprintf("%s/%d/%d", tag, k, n),
				IdempotencyKey: fmt.Sprintf("%s/%d", tag, k),
			},
			Department: "fgw",
			Sender:     "fgw",
			ReceivedAt: time.Now().UTC(),
			PeriodEnd:  p.End(benchZone),
		}
	}
	return batch
}

func crashChild(dir, cycle string) {
	s, err := boltstore.Open(context.Background(), boltstore.Config{Dir: dir})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := func(line string) {
		mu.Lock()
		_, _ = io.WriteString(os.Stdout, line) // one write: whole line or nothing
		mu.Unlock()
	}
	for g := range 4 {
		go func() {
			rnd := rand.New(rand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			var prev []indicators.Revision
			var prevTag string
			for a := 0; ; a++ {
				tag := fmt.Sprintf("c%s-g%d-a%d", cycle, g, a)
				var batch []indicators.Revision
				if prev != nil && rnd.IntN(5) == 0 {
					tag, batch = prevTag, prev // a client retrying: must replay
				} else {
					batch = crashBatch(tag, rnd)
				}
				rcs, err := s.Append(context.Background(), batch)
				if err != nil {
					out(fmt.Sprintf("error %v\n", err))
					continue
				}
				out(ackLine(tag, rcs))
				prev, prevTag = batch, tag
			}
		}()
	}
	time.Sleep(30 * time.Second) // the parent kills us long before
	os.Exit(3)
}

func TestCrashKeepsEveryAcknowledgedBatch(t *testing.T) {
	if dir := os.Getenv(envCrashDir); dir != "" {
		crashChild(dir, os.Getenv(envCrashCycle))
		return
	}
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	acked := map[string][]indicators.Receipt{}
	rnd := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	const cycles = 8
	total := 0
	for cycle := range cycles {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsEveryAcknowledgedBatch$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashCycle+"="+strconv.Itoa(cycle))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it acknowledge something, then kill it at a random moment.
		first := time.After(10 * time.Second)
		var got []string
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("cycle %d: child exited before acknowledging anything", cycle)
			}
			got = append(got, l)
		case <-first:
			t.Fatalf("cycle %d: child acknowledged nothing in 10s", cycle)
		}
		kill := time.After(time.Duration(20+rnd.IntN(250)) * time.Millisecond)
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				got = append(got, l)
			case <-kill:
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				kill = nil
			}
		}
		_ = cmd.Wait()
		if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() {
			t.Fatalf("cycle %d: child was not killed: %v (%v)", cycle, cmd.ProcessState, got[len(got)-1])
		}
		for _, l := range got {
			tag, rcs, ok := parseAck(l)
			if !ok {
				t.Fatalf("cycle %d: child said %q", cycle, l)
			}
			if orig, seen := acked[tag]; seen {
				// A retried batch replays, with the original receipts.
				for k, rc := range rcs {
					want := orig[k]
					want.Replayed = true
					if rc != want {
						t.Errorf("retry of %s element %d: receipt %+v, want %+v", tag, k, rc, want)
					}
				}
				continue
			}
			for _, rc := range rcs {
				if rc.Replayed {
					t.Errorf("first acknowledgement of %s says replayed: %+v", tag, rcs)
				}
			}
			acked[tag] = rcs
		}
		total += len(got)
		verifyAfterCrash(t, dir, acked)
	}
	t.Logf("%d cycles, %d acknowledgements, %d distinct batches, all present", cycles, total, len(acked))
}

func verifyAfterCrash(t *testing.T, dir string, acked map[string][]indicators.Receipt) {
	t.Helper()
	s := open(t, dir)
	defer s.Close()
	ctx := context.Background()
	stored := map[string]map[int]indicators.Revision{} // tag → element → revision
	sizes := map[string]int{}
	perKey := map[string][]int{}
	for i := range 12 {
		hist, err := s.History(ctx, "", "K."+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range hist {
			var tag string
			var k, n int
			parts := strings.Split(r.Note, "/")
			if len(parts) != 3 {
				t.Fatalf("unexpected note %q", r.Note)
			}
			tag = parts[0]
			k, _ = strconv.Atoi(parts[1])
			n, _ = strconv.Atoi(parts[2])
			if stored[tag] == nil {
				stored[tag] = map[int]indicators.Revision{}
			}
			if _, dup := stored[tag][k]; dup {
				t.Errorf("%s element %d stored twice", tag, k)
			}
			stored[tag][k] = r
			sizes[tag] = n
			perKey[r.Indicator+" "+r.Period] = append(perKey[r.Indicator+" "+r.Period], r.Revision)
		}
	}
	for tag, els := range stored {
		if len(els) != sizes[tag] {
			t.Errorf("batch %s half applied: %d of %d elements", tag, len(els), sizes[tag])
		}
	}
	for tag, rcs := range acked {
		for k, rc := range rcs {
			r, ok := stored[tag][k]
			if !ok {
				t.Errorf("acknowledged %s element %d (%+v) lost", tag, k, rc)
				continue
			}
			if r.Indicator != rc.Indicator || r.Period != rc.Period || r.Revision != rc.Revision {
				t.Errorf("%s element %d stored as %s %s #%d, receipt %+v", tag, k, r.Indicator, r.Period, r.Revision, rc)
			}
		}
	}
	for key, revs := range perKey {
		slices.Sort(revs)
		for i, r := range revs {
			if r != i+1 {
				t.Errorf("%s: revisions %v are not 1..%d", key, revs, len(revs))
				break
			}
		}
	}
	latest, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range latest {
		if n := len(perKey[r.Indicator+" "+r.Period]); r.Revision != n {
			t.Errorf("Latest %s %s is revision %d, history has %d", r.Indicator, r.Period, r.Revision, n)
		}
	}
	if len(latest) != len(perKey) {
		t.Errorf("Latest has %d values, history %d (indicator, period) pairs", len(latest), len(perKey))
	}
	// Idempotency keys survive the crash: resending an acknowledged batch replays it.
	for tag, rcs := range acked {
		els := stored[tag]
		batch := make([]indicators.Revision, len(rcs))
		for k := range batch {
			batch[k] = els[k]
			batch[k].Revision = 0
		}
		got, err := s.Append(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for k, rc := range got {
			want := rcs[k]
			want.Replayed = true
			if rc != want {
				t.Errorf("resending %s element %d after the crash: %+v, want %+v", tag, k, rc, want)
			}
		}
		break // one is enough per cycle
	}
}
