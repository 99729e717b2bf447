package influx_test

import (
	"context"
	"fmt"
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
			hist, err := s.History(context.Background(), tc.indicator)
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
		s.Close()
		t.Fatal("Open on a missing bucket succeeded")
	}
	t.Logf("Open: %v", err)
}

// TestMetricsAndReadinessFollowTheSpool: degraded with spool metrics while InfluxDB is
// down, back to ok with an empty spool once it answers.
func TestMetricsAndReadinessFollowTheSpool(t *testing.T) {
	db := testenv.StartInfluxd(t)
	s := openStore(t, db, freshStorage(t, db))
	defer s.Close()
	if ready, detail := s.Ready(); !ready || detail != "ok" {
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
	if ready, detail := s.Ready(); !ready || !strings.HasPrefix(detail, "degraded: InfluxDB unreachable, 3 batches spooled") {
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
	deadline := time.Now().Add(20 * time.Second)
	for s.SpoolDepth() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spool still holds %d batches", s.SpoolDepth())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := s.Latest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ready, detail := s.Ready(); !ready || detail != "ok" {
		t.Errorf("Ready after the replay = %v %q, want ok", ready, detail)
	}
	hist, err := s.History(context.Background(), "m.1")
	if err != nil || len(hist) != 3 {
		t.Errorf("History after the replay: %d revisions, %v; want 3", len(hist), err)
	}
}

// TestTwoStoresRacingOnOnePeriodLoseNothing: two collectors (two stores, two spools)
// correct the same indicator and period at the same time. They may both number a
// revision N; every acknowledged report must still be stored (they differ by the
// collector tag), and History and Latest must agree on what is there.
func TestTwoStoresRacingOnOnePeriodLoseNothing(t *testing.T) {
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	a := openStore(t, db, st)
	defer a.Close()
	b := openStore(t, db, storage{bucket: st.bucket, spool: t.TempDir()})
	defer b.Close()
	if a.CollectorID() == b.CollectorID() {
		t.Fatalf("two spools share the collector id %q", a.CollectorID())
	}
	const each = 25
	errs := make(chan error, 2)
	var notes sync.Map
	for i, s := range []*influx.Store{a, b} {
		go func() {
			for n := range each {
				note := fmt.Sprintf("s%d-%d", i, n)
				rc, err := s.Append(context.Background(), []indicators.Revision{report("r.1", "2026-03", "", note, float64(n))})
				if err != nil {
					errs <- err
					return
				}
				notes.Store(note, rc[0].Revision)
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	hist, err := a.History(context.Background(), "r.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2*each {
		t.Fatalf("History holds %d revisions, %d were acknowledged", len(hist), 2*each)
	}
	dup, top := 0, 0
	seen := map[int]int{}
	for _, r := range hist {
		rev, ok := notes.Load(r.Note)
		if !ok || rev.(int) != r.Revision {
			t.Errorf("stored %s as revision %d, acknowledged %v", r.Note, r.Revision, rev)
		}
		seen[r.Revision]++
		if seen[r.Revision] == 2 {
			dup++
		}
		top = max(top, r.Revision)
	}
	latest, err := b.Latest(context.Background())
	if err != nil || len(latest) != 1 || latest[0].Revision != top {
		t.Errorf("Latest = %+v, %v; want one value at revision %d", latest, err, top)
	}
	t.Logf("%d reports from two collectors at once: all stored, %d revision numbers taken twice", 2*each, dup)
}
