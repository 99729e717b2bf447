package influx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

func report(indicator, period, key, note string, value float64) indicators.Revision {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		panic(err)
	}
	return indicators.Revision{
		Report:     indicators.Report{Indicator: indicator, Period: period, Value: &value, IdempotencyKey: key, Note: note},
		Department: "fgw", Sender: "fgw", ReceivedAt: time.Now(),
		PeriodEnd: p.End(time.FixedZone("CST", 8*3600)),
	}
}

// TestHostileStringsStayData sends ids, keys and notes built to break Flux string
// literals or line protocol; each must be stored as is and replay by its exact key.
func TestHostileStringsStayData(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	s := openStore(t, db, st)
	defer s.Close()
	cases := map[string]struct{ indicator, key, note, want string }{
		"a quote closing the Flux literal":      {`q"1`, `k" or true or "`, `say "hi"`, ""},
		"an interpolation":                      {"i${x}", "${r._value}", "${1+1}", ""},
		"backslashes, also before a quote":      {`b\1`, `k\"\`, `C:\dir\`, ""},
		"line breaks and tabs":                  {"nl.1", "k\n1\t2", "a\nb\r\n\nc\td\r", "a\nb\n\nc\td\n"},
		"line protocol separators in tag value": {"a b,c=d", "k, =", "x y,z=w", ""},
		"multibyte text":                        {"五.1", "键🙂", "进展情况：顺利", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := report(tc.indicator, "2026-03", tc.key, tc.note, 7)
			rc, err := s.Append(context.Background(), []indicators.Revision{r})
			if err != nil {
				t.Fatal(err)
			}
			hist, err := s.History(context.Background(), "", tc.indicator)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.note
			if tc.want != "" {
				want = tc.want // carriage returns become line feeds
			}
			if len(hist) != 1 || hist[0].Indicator != tc.indicator || hist[0].IdempotencyKey != tc.key || hist[0].Note != want {
				t.Fatalf("History(%q) = %+v, want the report as sent", tc.indicator, hist)
			}
			// A fresh store (empty cache) must find the key in InfluxDB.
			s2 := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
			defer s2.Close()
			again, err := s2.Append(context.Background(), []indicators.Revision{r})
			if err != nil {
				t.Fatal(err)
			}
			if !again[0].Replayed || again[0].Revision != rc[0].Revision {
				t.Errorf("re-sent with key %q: %+v, want replay of %+v", tc.key, again[0], rc[0])
			}
		})
	}
}

// TestMisconfigurationIsAnErrorNotAnOutage: a bucket InfluxDB does not have stops the
// collector at start instead of having it spool forever behind a typo.
func TestMisconfigurationIsAnErrorNotAnOutage(t *testing.T) {
	db := testenv.StartInfluxd(t)
	s, err := influx.Open(context.Background(), influx.Config{URL: db.URL, Bucket: "nosuchdb/autogen", SpoolDir: t.TempDir()})
	if err == nil {
		t.Fatal("Open on a missing bucket succeeded", s.Close())
	}
	t.Logf("Open: %v", err)
}

// TestMetricsAndReadinessFollowTheSpool: degraded with spool metrics while InfluxDB is
// down, back to ok with an empty spool once it answers.
func TestMetricsAndReadinessFollowTheSpool(t *testing.T) {
	db := testenv.StartInfluxd(t)
	s := openStore(t, db, freshStorage(t, db))
	defer s.Close()
	if ready, detail := s.Ready(t.Context()); !ready || detail != "ok" {
		t.Fatalf("Ready = %v %q, want ok", ready, detail)
	}
	if probs, err := testutil.CollectAndLint(s.Metrics()); err != nil || len(probs) > 0 {
		t.Fatalf("lint: %v %v", probs, err)
	}
	db.Stop()
	for i := range 3 {
		if _, err := s.Append(context.Background(), []indicators.Revision{report("m.1", "2026-03", "", "", float64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if ready, detail := s.Ready(t.Context()); !ready || !strings.HasPrefix(detail, "degraded: InfluxDB unreachable, 3 batches spooled") {
		t.Errorf("Ready during the outage = %v %q", ready, detail)
	}
	want := `
# HELP duban_spool_batches Batches waiting in the local spool for InfluxDB.
# TYPE duban_spool_batches gauge
duban_spool_batches 3
`
	if err := testutil.CollectAndCompare(s.Metrics(), strings.NewReader(want), conventions.MetricSpoolDepth); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(s.Metrics(), conventions.MetricInfluxWriteErrors); n != 1 {
		t.Errorf("%d write error series, want 1", n)
	}
	latest, err := s.Latest(context.Background())
	if err != nil || len(latest) != 1 || latest[0].Revision != 3 || *latest[0].Value != 2 {
		t.Errorf("Latest during the outage = %+v, %v; want the spooled revision 3", latest, err)
	}
	db.Start()
	eventually(t, "the spool drains", 20*time.Second, func() bool { return s.SpoolDepth() == 0 })
	if _, err := s.Latest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ready, detail := s.Ready(t.Context()); !ready || detail != "ok" {
		t.Errorf("Ready after the replay = %v %q, want ok", ready, detail)
	}
	hist, err := s.History(context.Background(), "", "m.1")
	if err != nil || len(hist) != 3 {
		t.Errorf("History after the replay: %d revisions, %v; want 3", len(hist), err)
	}
}

// TestTwoReplicasCorrectingAtOnceNeverShareARevision: two replicas (two stores, two
// spools, one database) correct the same indicator and period at the same moment, again
// and again. Only the holder of the department's lease numbers, so every correction
// gets its own revision: 1..N, none twice, each stored as acknowledged.
func TestTwoReplicasCorrectingAtOnceNeverShareARevision(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	a := openStore(t, db, st)
	defer a.Close()
	b := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
	defer b.Close()
	if a.CollectorID() == b.CollectorID() {
		t.Fatalf("two spools share the collector id %q", a.CollectorID())
	}
	const rounds = 8
	var notes sync.Map
	for n := range rounds {
		start := make(chan struct{})
		errs := make(chan error, 2)
		for i, s := range []*influx.Store{a, b} {
			go func() {
				<-start // both at the same moment
				note := fmt.Sprintf("s%d-%d", i, n)
				rc, err := s.Append(context.Background(), []indicators.Revision{report("r.1", "2026-03", "", note, float64(n))})
				if err == nil {
					notes.Store(note, rc[0].Revision)
				}
				errs <- err
			}()
		}
		close(start)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	if a.SpoolDepth()+b.SpoolDepth() != 0 {
		t.Fatalf("spooled %d+%d batches: InfluxDB was away, the test proves nothing", a.SpoolDepth(), b.SpoolDepth())
	}
	hist, err := a.History(context.Background(), "", "r.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2*rounds {
		t.Fatalf("History holds %d revisions, %d were acknowledged", len(hist), 2*rounds)
	}
	for i, r := range hist {
		if r.Revision != i+1 {
			t.Errorf("revision %d at position %d of the history: numbers must run 1..%d once each", r.Revision, i+1, 2*rounds)
		}
		rev, ok := notes.Load(r.Note)
		if !ok || rev.(int) != r.Revision {
			t.Errorf("stored %s as revision %d, acknowledged %v", r.Note, r.Revision, rev)
		}
	}
	// Both replicas read the same latest value.
	for name, s := range map[string]*influx.Store{"a": a, "b": b} {
		latest, err := s.Latest(context.Background())
		if err != nil || len(latest) != 1 || latest[0].Revision != 2*rounds {
			t.Errorf("Latest through %s = %+v, %v; want one value at revision %d", name, latest, err, 2*rounds)
		}
	}
}

// TestStoreNeedsNoFlux runs the store against an influxd whose Flux endpoint is off
// (flux-enabled = false, as InfluxDB 3 has none): appends, keys, latest values, history,
// first arrivals and a second replica's start all go through InfluxQL on /query.
func TestStoreNeedsNoFlux(t *testing.T) {
	db := testenv.StartInfluxdWith(t, testenv.InfluxdOptions{Flux: false})
	resp, err := http.Post(db.URL+"/api/v2/query", "application/vnd.flux", strings.NewReader(`buckets()`))
	if err != nil {
		t.Fatal(err)
	}
	testenv.ReadBody(t, resp)
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("influxd answered Flux (status %d): the test would prove nothing", resp.StatusCode)
	}
	st := freshStorage(t, db)
	s := openStore(t, db, st)
	defer s.Close()
	ctx := context.Background()
	rc, err := s.Append(ctx, []indicators.Revision{report("f.1", "2026-03", "k-1", "首报", 1), report("f.1", "2026-Q1", "", "", 2)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(ctx, []indicators.Revision{report("f.1", "2026-03", "k-1", "重发", 1), report("f.1", "2026-03", "", "更正", 3)})
	if err != nil {
		t.Fatal(err)
	}
	if !again[0].Replayed || again[0].Revision != rc[0].Revision || again[1].Revision != 2 {
		t.Errorf("second batch: %+v, want the key replayed and the correction as revision 2", again)
	}
	hist, err := s.History(ctx, "", "f.1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range hist {
		got = append(got, fmt.Sprintf("%s#%d", r.Period, r.Revision))
	}
	if want := "2026-03#1 2026-03#2 2026-Q1#1"; strings.Join(got, " ") != want {
		t.Errorf("History = %v, want %s", got, want)
	}
	end := hist[0].PeriodEnd
	arr, err := s.FirstArrivals(ctx, []time.Time{end})
	if err != nil || len(arr) != 1 || !arr[0].FirstReceived.Equal(hist[0].ReceivedAt) {
		t.Errorf("FirstArrivals = %+v, %v; want f.1 first received %s", arr, err, hist[0].ReceivedAt)
	}
	// A replica starting on the same database (no snapshot) reads everything back.
	s2 := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
	defer s2.Close()
	latest, err := s2.Latest(ctx)
	if err != nil || len(latest) != 2 {
		t.Fatalf("Latest through a second replica = %+v, %v; want 2 values", latest, err)
	}
	rc2, err := s2.Append(ctx, []indicators.Revision{report("f.1", "2026-03", "k-1", "", 1)})
	if err != nil || !rc2[0].Replayed || rc2[0].Revision != 1 {
		t.Errorf("key re-sent through the second replica: %+v, %v; want the original receipt", rc2, err)
	}
}

// TestPointsBeforePlansAreTheDefaultPlans: points written before plans carry no plan
// tag; a store opened with a default plan reads them as that plan's revisions and
// numbers on from them, while the same indicator id in another plan starts afresh
// (InfluxDB needs no rewrite: the tag's absence is the old form).
func TestPointsBeforePlansAreTheDefaultPlans(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	ctx := context.Background()
	old := openStore(t, db, st) // writes as the build before plans did: no plan tag
	if _, err := old.Append(ctx, []indicators.Revision{report("57.1", "2026-03", "", "before plans", 100)}); err != nil {
		t.Fatal(err)
	}
	reviewedAt := time.Date(2026, 4, 12, 1, 0, 0, 0, time.UTC)
	if _, err := old.Review(ctx, []indicators.Review{{Indicator: "57.1", Period: "2026-03", Decision: indicators.Approved, Reviewer: "admin", ReviewedAt: reviewedAt}}); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countSeries(t, db, st, `"plan" = ''`); n != 1 {
		t.Fatalf("points without a plan tag: %d, want 1", n)
	}

	s, err := influx.Open(ctx, influx.Config{
		URL: db.URL, Org: db.Org, Bucket: st.bucket, SpoolDir: t.TempDir(), DefaultPlan: "changzhi-2026",
		Timeout: 5 * time.Second, LeaseTTL: 8 * time.Second, LeaseSettle: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := func(plan string, r indicators.Revision) indicators.Revision { r.Plan = plan; return r }
	rc, err := s.Append(ctx, []indicators.Revision{
		in("changzhi-2026", report("57.1", "2026-03", "", "a correction", 101)),
		in("minsheng-2026", report("57.1", "2026-03", "", "another plan", 7)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rc[0].Revision != 2 || rc[1].Revision != 1 {
		t.Errorf("receipts %+v: want revision 2 in the default plan (after the old point) and 1 in the other", rc)
	}
	hist, err := s.History(ctx, "changzhi-2026", "57.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Plan != "changzhi-2026" || hist[0].Note != "before plans" || hist[1].Revision != 2 {
		t.Errorf("history of the default plan = %+v, want the old point then the correction, both of changzhi-2026", hist)
	} else if len(hist[0].Reviews) != 1 || hist[0].Reviews[0].Plan != "changzhi-2026" || !hist[0].Reviews[0].ReviewedAt.Equal(reviewedAt) || len(hist[1].Reviews) != 0 {
		t.Errorf("reviews in the default plan's history = %+v then %+v, want the review written before plans on revision 1, of changzhi-2026", hist[0].Reviews, hist[1].Reviews)
	}
	approved, err := s.Approved(ctx)
	if err != nil || len(approved) != 1 || approved[0].Plan != "changzhi-2026" || approved[0].Revision != 1 {
		t.Errorf("Approved = %+v, %v; want revision 1 of changzhi-2026 57.1, approved before plans", approved, err)
	}
	if rv, err := s.Review(ctx, []indicators.Review{{Plan: "minsheng-2026", Indicator: "57.1", Period: "2026-03", Decision: indicators.Returned, Comment: "口径", Reviewer: "admin", ReviewedAt: reviewedAt.Add(time.Hour)}}); err != nil || rv[0].Revision != 1 {
		t.Errorf("a review in the other plan = %+v, %v; want revision 1 of minsheng-2026", rv, err)
	}
	other, err := s.History(ctx, "minsheng-2026", "57.1")
	if err != nil || len(other) != 1 || *other[0].Value != 7 {
		t.Errorf("history of the other plan = %+v, %v", other, err)
	}
	if n := countSeries(t, db, st, `"plan" = 'minsheng-2026'`); n != 1 {
		t.Errorf("points tagged plan=minsheng-2026: %d, want 1", n)
	}
	// A new replica reads the latest values of both plans, apart.
	fresh, err := influx.Open(ctx, influx.Config{
		URL: db.URL, Org: db.Org, Bucket: st.bucket, SpoolDir: t.TempDir(), DefaultPlan: "changzhi-2026",
		Timeout: 5 * time.Second, LeaseTTL: 8 * time.Second, LeaseSettle: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	latest, err := fresh.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range latest {
		got[r.Plan+" "+r.Indicator+" "+r.Period] = *r.Value
	}
	if len(got) != 2 || got["changzhi-2026 57.1 2026-03"] != 101 || got["minsheng-2026 57.1 2026-03"] != 7 {
		t.Errorf("a new replica's latest values: %v, want 101 in changzhi-2026 and 7 in minsheng-2026", got)
	}
}

func countSeries(t *testing.T, db *testenv.Influxd, st storage, cond string) int {
	t.Helper()
	dbname, _, _ := strings.Cut(st.bucket, "/")
	b, err := db.QueryJSON(fmt.Sprintf(`SELECT count("revision") FROM %q.autogen."report" WHERE %s`, dbname, cond))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Series []struct{ Values [][]any } `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) == 0 || len(res.Results[0].Series) == 0 {
		return 0
	}
	return int(res.Results[0].Series[0].Values[0][1].(float64))
}
