package influx_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// slowClaims is a transparent proxy in front of a real influxd that holds every lease
// claim longer than a claim may take to be trusted, as a busy InfluxDB does: the
// replica behind it spools every batch (errLeaseSlow) while InfluxDB answers.
func slowClaims(t *testing.T, target string, delay time.Duration) string {
	t.Helper()
	return inFront(t, target, func(_ http.ResponseWriter, r *http.Request, body []byte, _ http.Handler) bool {
		if strings.Contains(r.URL.Path, "write") && bytes.Contains(body, []byte("_lease,")) && bytes.Contains(body, []byte(`state="held"`)) {
			time.Sleep(delay)
		}
		return false
	})
}

// TestASlowLeaseStillChecksTheKeys: a replica whose lease claims InfluxDB answers too
// slowly spools its batches, but InfluxDB answers: a key another replica stored
// replays with that revision, and the same key with another value is refused with
// nothing spooled. Before, the replica numbered from its empty key cache and
// acknowledged a new revision, which the replay then dropped as a key already stored
// (seen under load in TestHostileStringsStayData).
func TestASlowLeaseStillChecksTheKeys(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	first := openStore(t, db, st)
	defer first.Close()
	r := report("k.1", "2026-03", "key-1", "first", 7)
	stored, err := first.Append(context.Background(), []indicators.Revision{r})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	slow := openStore(t, &testenv.Influxd{URL: slowClaims(t, db.URL, 600*time.Millisecond), Org: db.Org}, storage{bucket: st.bucket, spool: t.TempDir()})
	defer slow.Close()
	again, err := slow.Append(context.Background(), []indicators.Revision{r})
	if err != nil {
		t.Fatal(err)
	}
	if !again[0].Replayed || again[0].Revision != stored[0].Revision {
		t.Errorf("the same report again behind slow claims = %+v, want the replay of %+v", again[0], stored[0])
	}
	other := report("k.1", "2026-03", "key-1", "first", 8)
	_, err = slow.Append(context.Background(), []indicators.Revision{other})
	var conflict *collector.IdempotencyConflict
	if !errors.As(err, &conflict) {
		t.Errorf("the same key with another value behind slow claims: %v, want an idempotency conflict", err)
	}
	if n := slow.SpoolDepth(); n != 0 {
		t.Errorf("the spool holds %d batches, want none (a replay and a refusal store nothing)", n)
	}
}
