package influx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// outageChild is the collector process of the outage test: it opens the store, sends
// batches FROM..TO (two reports each, keyed), re-sends the batches listed in RESEND,
// prints every receipt, then reports its spool depth until killed (or, with
// EXIT_WHEN_EMPTY, until the spool drains).
func outageChild() {
	env := func(k string) string { return os.Getenv("OUTAGE_" + k) }
	atoi := func(k string) int { n, _ := strconv.Atoi(env(k)); return n }
	s, err := influx.Open(context.Background(), influx.Config{
		URL: env("URL"), Bucket: env("BUCKET"), SpoolDir: env("SPOOL"),
		Timeout: 2 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		ReplayPoints: 4, // two batches per replay round, so that a kill lands mid-replay
		LeaseTTL:     4 * time.Second, LeaseSettle: 300 * time.Millisecond,
		CheckpointEvery: checkpointEvery(env("CHECKPOINT")),
		Logger:          childLogger(env("LOG")),
	})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	send := func(b int) {
		rcs, err := s.Append(context.Background(), outageBatch(b))
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		for k, rc := range rcs {
			fmt.Printf("ACK %d %d %d %t\n", b, k, rc.Revision, rc.Replayed)
		}
	}
	for b := atoi("FROM"); b < atoi("TO"); b++ {
		send(b)
	}
	for _, f := range strings.Fields(env("RESEND")) {
		b, _ := strconv.Atoi(f)
		send(b)
	}
	fmt.Println("SENT")
	for {
		n := s.SpoolDepth()
		_, detail := s.Ready(context.Background())
		fmt.Printf("DEPTH %d %s\n", n, detail)
		if n == 0 && env("EXIT_WHEN_EMPTY") != "" {
			if err := s.Close(); err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
			fmt.Println("DRAINED")
			os.Exit(0)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkpointEvery is the child's CheckpointEvery: OUTAGE_CHECKPOINT, or the default.
func checkpointEvery(v string) time.Duration {
	d, _ := time.ParseDuration(v)
	return d
}

// childLogger logs the child's store to stderr when OUTAGE_LOG is set (debugging a
// failure: OUTAGE_LOG=1 go test -run TestOutage...).
func childLogger(on string) *slog.Logger {
	if on == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// outageBatch is batch b: two reports on a few (indicator, period)s, so that
// revisions pile up and numbering across restarts is checked.
func outageBatch(b int) []indicators.Revision {
	out := make([]indicators.Revision, 2)
	for k := range out {
		ind := fmt.Sprintf("o.%d", (b+k)%5)
		period := fmt.Sprintf("2026-%02d", 1+(b+2*k)%3)
		p, _ := indicators.ParsePeriod(period)
		v := float64(b*10 + k)
		out[k] = indicators.Revision{
			Report: indicators.Report{
				Indicator: ind, Period: period, Value: &v,
				Note: tagOf(b, k), IdempotencyKey: "key-" + tagOf(b, k),
			},
			Department: "fgw", Sender: "fgw", ReceivedAt: time.Unix(1775000000+int64(b), 0),
			PeriodEnd: p.End(time.FixedZone("CST", 8*3600)),
		}
	}
	return out
}

func tagOf(b, k int) string { return fmt.Sprintf("b%d/%d", b, k) }

func TestMain(m *testing.M) {
	if os.Getenv("OUTAGE_CHILD") != "" {
		outageChild()
		return
	}
	os.Exit(m.Run())
}

// child is one run of the collector process.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
}

func startChild(t *testing.T, db *testenv.Influxd, st storage, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OUTAGE_CHILD=1", "OUTAGE_URL="+db.URL, "OUTAGE_BUCKET="+st.bucket, "OUTAGE_SPOOL="+st.spool)
	for _, e := range env {
		cmd.Env = append(cmd.Env, "OUTAGE_"+e)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		_, _ = io.Copy(io.Discard, out) // drain what follows a line too long to scan, so the child never blocks
	}()
	t.Cleanup(c.kill)
	return c
}

// until reads lines until match says stop; it fails on ERR, EOF or timeout.
func (c *child) until(what string, match func(f []string) bool) {
	c.t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("collector exited while waiting for %s", what)
			}
			f := strings.Fields(l)
			if len(f) > 0 && f[0] == "ERR" {
				c.t.Fatalf("collector: %s", l)
			}
			if match(f) {
				return
			}
		case <-timeout:
			c.t.Fatalf("timeout waiting for %s", what)
		}
	}
}

func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	}
}

// acks collects receipts until SENT: batch/element → receipt.
func (c *child) acks(into map[string]indicators.Receipt) {
	c.t.Helper()
	c.until("SENT", func(f []string) bool {
		if len(f) == 5 && f[0] == "ACK" {
			b, _ := strconv.Atoi(f[1])
			k, _ := strconv.Atoi(f[2])
			rev, _ := strconv.Atoi(f[3])
			into[tagOf(b, k)] = indicators.Receipt{Revision: rev, Replayed: f[4] == "true"}
		}
		return len(f) == 1 && f[0] == "SENT"
	})
}

// TestOutageLosesNothingAndDuplicatesNothing: InfluxDB is killed, reports are pushed
// and acknowledged, the collector is killed and restarted during the outage and again
// in the middle of replaying, InfluxDB comes back: InfluxDB then holds exactly the
// acknowledged reports, once each, with the acknowledged revisions, and the spool is
// empty.
func TestOutageLosesNothingAndDuplicatesNothing(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	acked := map[string]indicators.Receipt{}

	// Before the outage: 10 batches straight into InfluxDB.
	c := startChild(t, db, st, "FROM=0", "TO=10")
	c.acks(acked)
	c.kill()

	db.Stop()
	// During the outage: 30 batches spooled, the collector killed...
	c = startChild(t, db, st, "FROM=10", "TO=40")
	c.acks(acked)
	c.until("a degraded spool", func(f []string) bool {
		return len(f) >= 3 && f[0] == "DEPTH" && f[1] == "30" && f[2] == "degraded:"
	})
	c.kill()
	// ...restarted, still during the outage: 30 more, plus re-sends of a spooled batch
	// (the spool knows its key) and of a batch stored before the outage (only InfluxDB
	// knows that key: the replay must drop the copy).
	resent := map[string]indicators.Receipt{}
	c = startChild(t, db, st, "FROM=40", "TO=70", "RESEND=15 5")
	c.acks(resent)
	for tag, rc := range resent {
		b, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(tag, "/")[0], "b"))
		switch {
		case b == 15:
			if !rc.Replayed || rc.Revision != acked[tag].Revision {
				t.Errorf("re-sent spooled %s: receipt %+v, want the original %+v replayed", tag, rc, acked[tag])
			}
		case b != 5:
			acked[tag] = rc
		}
	}
	c.kill()
	if n := len(spoolFiles(t, st.spool)); n != 61 {
		t.Errorf("spool holds %d batches during the outage, want 61", n)
	}

	db.Start()
	// The collector starts replaying and is killed in the middle of it...
	c = startChild(t, db, st, "FROM=0", "TO=0")
	depth := 0
	c.until("replay under way", func(f []string) bool {
		depth, _ = strconv.Atoi(safe(f, 1))
		return safe(f, 0) == "DEPTH" && depth < 50
	})
	c.kill()
	t.Logf("collector killed during the replay with %d batches left", depth)
	// ...and restarted: it finishes.
	c = startChild(t, db, st, "FROM=0", "TO=0", "EXIT_WHEN_EMPTY=1")
	c.until("the spool drained", func(f []string) bool { return safe(f, 0) == "DRAINED" })

	if n := len(spoolFiles(t, st.spool)); n != 0 {
		t.Errorf("spool holds %d batches after the replay, want 0", n)
	}
	stored := storedNotes(t, db, st)
	if len(stored) != len(acked) {
		t.Errorf("InfluxDB holds %d reports, %d were acknowledged", len(stored), len(acked))
	}
	count := map[string]int{}
	perKey := map[string][]int{}
	for _, r := range stored {
		count[r.note]++
		perKey[r.indicator+" "+r.period] = append(perKey[r.indicator+" "+r.period], r.revision)
		if rc, ok := acked[r.note]; ok && rc.Revision != r.revision {
			t.Errorf("%s stored as revision %d, acknowledged as %d", r.note, r.revision, rc.Revision)
		}
	}
	for tag := range acked {
		if count[tag] != 1 {
			t.Errorf("acknowledged %s is stored %d times", tag, count[tag])
		}
	}
	for k, revs := range perKey {
		slices.Sort(revs)
		for i, r := range revs {
			if r != i+1 {
				t.Errorf("%s: revisions %v are not 1..%d", k, revs, len(revs))
				break
			}
		}
	}
	t.Logf("%d reports acknowledged (%d before the outage), %d stored", len(acked), 20, len(stored))
}

func safe(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.rec"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type storedReport struct {
	note, indicator, period string
	revision                int
}

// storedNotes reads every stored report with InfluxQL, independently of the store.
func storedNotes(t *testing.T, db *testenv.Influxd, st storage) []storedReport {
	t.Helper()
	dbName := strings.SplitN(st.bucket, "/", 2)[0]
	b, err := db.QueryJSON(fmt.Sprintf(`SELECT "note", "revision", "period", "indicator" FROM "%s"."autogen"."report"`, dbName))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Series []struct {
				Columns []string `json:"columns"`
				Values  [][]any  `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	var out []storedReport
	for _, r := range res.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				rev, _ := v[2].(float64)
				out = append(out, storedReport{note: fmt.Sprint(v[1]), revision: int(rev), period: fmt.Sprint(v[3]), indicator: fmt.Sprint(v[4])})
			}
		}
	}
	return out
}
