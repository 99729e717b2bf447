package influx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// openStoreWith opens a store as openStore does, with cfg's Feed and CheckpointEvery.
func openStoreWith(t *testing.T, db *testenv.Influxd, st storage, cfg influx.Config) *influx.Store {
	t.Helper()
	cfg.URL, cfg.Org, cfg.Bucket, cfg.SpoolDir = db.URL, db.Org, st.bucket, st.spool
	cfg.Timeout, cfg.RetryMin, cfg.RetryMax = 5*time.Second, 50*time.Millisecond, 500*time.Millisecond
	cfg.LeaseTTL, cfg.LeaseSettle = 8*time.Second, 300*time.Millisecond
	s, err := influx.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("influx.Open: %v", err)
	}
	return s
}

// heldWrites is a transparent proxy in front of a real influxd that holds each write
// containing match for a second and then answers 503 without passing it on, while
// failing is set; seen is closed at the first such write.
type heldWrites struct {
	match   string
	failing atomic.Bool
	seen    chan struct{}
	once    sync.Once
}

func (h *heldWrites) serve(t *testing.T, target string) string {
	t.Helper()
	h.seen = make(chan struct{})
	h.failing.Store(true)
	return inFront(t, target, func(w http.ResponseWriter, r *http.Request, body []byte, _ http.Handler) bool {
		if !strings.Contains(r.URL.Path, "write") || !bytes.Contains(body, []byte(h.match)) || !h.failing.Load() {
			return false
		}
		h.once.Do(func() { close(h.seen) })
		time.Sleep(time.Second)
		http.Error(w, `{"error":"overloaded"}`, http.StatusServiceUnavailable)
		return true
	})
}

func reports(n int, indicator, note string) []indicators.Revision {
	out := make([]indicators.Revision, n)
	for i := range out {
		out[i] = report(indicator, "2026-03", "", note, float64(i))
	}
	return out
}

// TestARoundSpooledBehindALaterOneKeepsItsNumbers: while a round is written to
// InfluxDB the next one is numbered and written too (two rounds in flight). When the
// first fails and is spooled after the second reached InfluxDB, the replay writes the
// first round's revisions as they were acknowledged, below the second's: a revision of
// this collector above a spooled one is a later report, not a clash. Renumbered above
// it (as a revision of another replica would be), the older reports would become the
// latest value and their receipts would be wrong.
func TestARoundSpooledBehindALaterOneKeepsItsNumbers(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	held := &heldWrites{match: `note="held"`}
	s := openStoreWith(t, &testenv.Influxd{URL: held.serve(t, db.URL), Org: db.Org}, st, influx.Config{CheckpointEvery: time.Hour})
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, reports(1, "f.1", "first")); err != nil { // takes the lease
		t.Fatal(err)
	}
	var first []indicators.Receipt
	var firstErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		first, firstErr = s.Append(ctx, reports(150, "f.1", "held"))
	}()
	select {
	case <-held.seen:
	case <-time.After(10 * time.Second):
		t.Fatal("the held round never reached InfluxDB")
	}
	second, err := s.Append(ctx, reports(150, "f.1", "after"))
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if d := s.SpoolDepth(); d != 1 {
		t.Fatalf("%d batches spooled; want the held round alone (the later one went to InfluxDB while it was in flight)", d)
	}
	if first[0].Revision != 2 || second[0].Revision != 152 {
		t.Fatalf("receipts start at %d and %d; want 2 (held) and 152 (after)", first[0].Revision, second[0].Revision)
	}
	held.failing.Store(false)
	eventually(t, "the spool drains", 20*time.Second, func() bool { return s.SpoolDepth() == 0 })

	hist, err := s.History(ctx, "", "f.1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: "first"}
	for _, set := range []struct {
		rc   []indicators.Receipt
		note string
	}{{first, "held"}, {second, "after"}} {
		for _, r := range set.rc {
			want[r.Revision] = set.note
		}
	}
	if len(hist) != len(want) {
		t.Fatalf("History holds %d revisions, %d were acknowledged", len(hist), len(want))
	}
	for i, r := range hist {
		if r.Revision != i+1 || want[r.Revision] != r.Note {
			t.Fatalf("position %d: revision %d %q; want revision %d %q", i+1, r.Revision, r.Note, i+1, want[i+1])
		}
	}
	other := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
	defer other.Close()
	for name, st := range map[string]*influx.Store{"the writer": s, "a new replica": other} {
		latest, err := st.Latest(ctx)
		if err != nil || len(latest) != 1 || latest[0].Revision != 301 || latest[0].Note != "after" {
			t.Errorf("Latest through %s = %+v, %v; want revision 301, the later round's", name, latest, err)
		}
	}
}

// TestRoundsInFlightNumberEveryReportOnce: sixteen clients push batches of 150 reports
// to the same few (indicator, period)s, so that rounds go in parts and two at a time:
// every (indicator, period) holds revisions 1..N once each, as acknowledged, and a
// replica that reads the change feed (parts and all) serves the same latest values.
func TestRoundsInFlightNumberEveryReportOnce(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	s := openStore(t, db, st)
	defer s.Close()
	other := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
	defer other.Close()
	ctx := context.Background()
	ids := []string{"p.1", "p.2", "p.3"}
	var mu sync.Mutex
	acked := map[string]map[int]string{} // indicator → revision → note
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Go(func() {
			for b := range 6 {
				batch := make([]indicators.Revision, 150)
				for i := range batch {
					batch[i] = report(ids[(c+i)%len(ids)], "2026-03", "", fmt.Sprintf("c%d-b%d-%d", c, b, i), float64(i))
				}
				rc, err := s.Append(ctx, batch)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for i, r := range rc {
					if acked[r.Indicator] == nil {
						acked[r.Indicator] = map[int]string{}
					}
					if prev, dup := acked[r.Indicator][r.Revision]; dup {
						t.Errorf("%s revision %d acknowledged twice: %s and %s", r.Indicator, r.Revision, prev, batch[i].Note)
					}
					acked[r.Indicator][r.Revision] = batch[i].Note
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if d := s.SpoolDepth(); d != 0 {
		t.Fatalf("spooled %d batches: InfluxDB was away, the test proves nothing", d)
	}
	for _, id := range ids {
		hist, err := s.History(ctx, "", id)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(acked[id]) {
			t.Fatalf("%s: History holds %d revisions, %d were acknowledged", id, len(hist), len(acked[id]))
		}
		for i, r := range hist {
			if r.Revision != i+1 || acked[id][r.Revision] != r.Note {
				t.Fatalf("%s position %d: revision %d %q; acknowledged revision %d as %q", id, i+1, r.Revision, r.Note, i+1, acked[id][i+1])
			}
		}
	}
	if n := partSeries(t, db, st); n == 0 {
		t.Error("no change point carries a part tag: the rounds were not written in parts, the test proves less than it says")
	}
	if got, want := latestNotes(t, other), latestNotes(t, s); !slices.Equal(got, want) {
		t.Errorf("the other replica serves %v; the writer %v", got, want)
	}
}

// partSeries counts the change-feed series of the parts after the first.
func partSeries(t *testing.T, db *testenv.Influxd, st storage) int {
	t.Helper()
	dbname, _, _ := strings.Cut(st.bucket, "/")
	b, err := db.QueryJSON(fmt.Sprintf(`SHOW TAG VALUES ON %q FROM "report_changes" WITH KEY = "part"`, dbname))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), `["part",`)
}

// feedFields says which of the change feed's payload fields hold values: points
// (JSON, read by every version) and pz (compact).
func feedFields(t *testing.T, db *testenv.Influxd, st storage) (points, pz int) {
	t.Helper()
	dbname, _, _ := strings.Cut(st.bucket, "/")
	b, err := db.QueryJSON(fmt.Sprintf(`SELECT count("points") AS points, count("pz") AS pz FROM %q.autogen."report_changes"`, dbname))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Series []struct {
				Columns []string
				Values  [][]any
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) == 0 || len(res.Results[0].Series) == 0 {
		return 0, 0
	}
	sr := res.Results[0].Series[0]
	for i, c := range sr.Columns {
		n, _ := sr.Values[0][i].(float64)
		switch c {
		case "points":
			points = int(n)
		case "pz":
			pz = int(n)
		}
	}
	return points, pz
}

// writeLine writes one line of line protocol to st's database.
func writeLine(t *testing.T, db *testenv.Influxd, st storage, line string) {
	t.Helper()
	dbname, _, _ := strings.Cut(st.bucket, "/")
	resp, err := http.Post(db.URL+"/write?db="+url.QueryEscape(dbname), "text/plain", strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("write %q: %s %s", line, resp.Status, b)
	}
}

// TestCompactFeedOnlyWhereEveryReplicaReadsIt: a database this version creates gets the
// compact change feed (pz) at once. A database an earlier version created (its schema
// marker without feed) keeps the JSON every version reads, so a replica of that version
// still follows the others, until a replica is started with store.influxdb.feed:
// compact (every replica upgraded): it marks the database, and the replicas already
// running switch at their next read. Both encodings reach the other replica.
func TestCompactFeedOnlyWhereEveryReplicaReadsIt(t *testing.T) {
	db := testenv.StartInfluxd(t)
	ctx := context.Background()

	fresh := freshStorage(t, db)
	s := openStore(t, db, fresh)
	if _, err := s.Append(ctx, reports(3, "c.1", "new")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if points, pz := feedFields(t, db, fresh); points != 0 || pz == 0 {
		t.Errorf("a new database: %d JSON and %d compact change points; want compact only", points, pz)
	}

	old := freshStorage(t, db)
	writeLine(t, db, old, "report_schema version=2i") // as the version before the compact feed left it
	a := openStore(t, db, old)
	defer a.Close()
	b := openStore(t, db, storage{bucket: old.bucket, spool: t.TempDir()})
	defer b.Close()
	if _, err := a.Append(ctx, reports(3, "c.1", "json")); err != nil {
		t.Fatal(err)
	}
	if points, pz := feedFields(t, db, old); points == 0 || pz != 0 {
		t.Fatalf("a database of the earlier version: %d JSON and %d compact change points; want JSON only", points, pz)
	}
	assertNote(t, "the other replica, JSON feed", b, "c.1", 3, "json")

	c := openStoreWith(t, db, storage{bucket: old.bucket, spool: t.TempDir()}, influx.Config{Feed: influx.FeedCompact})
	defer c.Close()
	if _, err := a.Latest(ctx); err != nil { // a's next read of the feed
		t.Fatal(err)
	}
	if _, err := a.Append(ctx, reports(3, "c.1", "compact")); err != nil {
		t.Fatal(err)
	}
	if _, pz := feedFields(t, db, old); pz == 0 {
		t.Fatal("after store.influxdb.feed: compact, the running replica still writes JSON")
	}
	assertNote(t, "the other replica, compact feed", b, "c.1", 6, "compact")
	assertNote(t, "the replica started with feed: compact", c, "c.1", 6, "compact")
}

func assertNote(t *testing.T, who string, s *influx.Store, indicator string, rev int, note string) {
	t.Helper()
	latest, err := s.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range latest {
		if r.Indicator == indicator {
			if r.Revision != rev || r.Note != note {
				t.Errorf("%s serves %s revision %d %q; want revision %d %q", who, indicator, r.Revision, r.Note, rev, note)
			}
			return
		}
	}
	t.Errorf("%s serves no %s", who, indicator)
}
