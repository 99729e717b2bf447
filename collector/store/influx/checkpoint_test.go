package influx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestACrashBeforeTheCheckpointLosesNothing: a collector writes batches and closes (its
// checkpoint holds them), a second run writes more and is killed before any checkpoint
// (the latest measurement lacks them). The same replica restarted, and a new replica
// without a snapshot, both serve every acknowledged report's latest value; the new
// replica's checkpoint then holds them all.
func TestACrashBeforeTheCheckpointLosesNothing(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	acks := map[string]indicators.Receipt{}
	c := startChild(t, db, st, "FROM=0", "TO=10", "EXIT_WHEN_EMPTY=1")
	c.acks(acks)
	c.until("DRAINED", func(f []string) bool { return len(f) == 1 && f[0] == "DRAINED" })
	c = startChild(t, db, st, "FROM=10", "TO=20", "CHECKPOINT=1h")
	c.acks(acks)
	c.kill() // before a checkpoint: the lease is released (and checkpointed) only after 2 s unused
	want := expectedLatest(acks, 20)
	if got := checkpointed(t, db, st); maps.Equal(got, want) {
		t.Fatalf("the checkpoint already holds every latest value (%v): the test shows nothing", got)
	}

	// Past the change feed's overlap (openStore: Timeout 5 s + 2 s), so that a new
	// replica's first catch-up does not happen to read the lost rounds again.
	time.Sleep(8 * time.Second)
	restarted := openStore(t, db, st)
	assertLatest(t, "the restarted replica", restarted, want)
	if err := restarted.Close(); err != nil {
		t.Fatal(err)
	}

	fresh := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
	assertLatest(t, "a new replica without a snapshot", fresh, want)
	rcs, err := fresh.Append(context.Background(), outageBatch(20)) // takes the lease: its Close checkpoints
	if err != nil {
		t.Fatal(err)
	}
	for k, rc := range rcs {
		acks[tagOf(20, k)] = rc
	}
	want = expectedLatest(acks, 21)
	if err := fresh.Close(); err != nil {
		t.Fatal(err)
	}
	if got := checkpointed(t, db, st); !maps.Equal(got, want) {
		t.Fatalf("after the new replica's checkpoint the latest measurement holds %v, want %v", got, want)
	}
}

// expectedLatest is the value of the highest acknowledged revision of every (indicator,
// period) of outageBatch 0..n-1.
func expectedLatest(acks map[string]indicators.Receipt, n int) map[string]string {
	best := map[string]int{}
	out := map[string]string{}
	for b := range n {
		for k, r := range outageBatch(b) {
			rc, ok := acks[tagOf(b, k)]
			if !ok {
				continue
			}
			key := r.Indicator + " " + r.Period
			if rc.Revision > best[key] {
				best[key] = rc.Revision
				out[key] = fmt.Sprintf("%d %g", rc.Revision, *r.Value)
			}
		}
	}
	return out
}

func assertLatest(t *testing.T, who string, s interface {
	Latest(context.Context) ([]indicators.Revision, error)
}, want map[string]string,
) {
	t.Helper()
	revs, err := s.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range revs {
		got[r.Indicator+" "+r.Period] = fmt.Sprintf("%d %g", r.Revision, *r.Value)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("%s serves %v, want %v", who, got, want)
	}
}

// checkpointed reads the latest measurement as stored: (indicator period) → "revision value".
func checkpointed(t *testing.T, db *testenv.Influxd, st storage) map[string]string {
	t.Helper()
	name, _, _ := strings.Cut(st.bucket, "/")
	b, err := db.QueryJSON(fmt.Sprintf(`SELECT "point" FROM %q."autogen"."report_latest"`, name))
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range ans.Results {
		for _, sr := range r.Series {
			for _, row := range sr.Values {
				var p struct {
					Rev indicators.Revision `json:"rev"`
				}
				if err := json.Unmarshal([]byte(row[1].(string)), &p); err != nil {
					t.Fatal(err)
				}
				out[p.Rev.Indicator+" "+p.Rev.Period] = fmt.Sprintf("%d %g", p.Rev.Revision, *p.Rev.Value)
			}
		}
	}
	return out
}
