package influx_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestReviewsReachTheOtherReplicaWithoutARestart: two replicas (two stores, two
// services with review.required, one database). The office's review through one reaches
// the other on its next periodic refresh (the change feed), in both directions, once
// each: what waits for review, the returned list and the approved value that counts.
func TestReviewsReachTheOtherReplicaWithoutARestart(t *testing.T) {
	ctx := context.Background()
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	replica := func(st storage) (*influx.Store, *collector.Service) {
		s := openStore(t, db, st)
		t.Cleanup(func() { _ = s.Close() })
		svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: s, ReviewRequired: true})
		if err != nil {
			t.Fatal(err)
		}
		return s, svc
	}
	_, a := replica(st)
	_, b := replica(storage{bucket: st.bucket, spool: t.TempDir()})
	fgw, office := collector.Principal{Department: "fgw"}, collector.Principal{Admin: true}
	submit := func(svc *collector.Service, v float64) {
		t.Helper()
		if _, err := svc.Submit(ctx, fgw, []indicators.Report{{Indicator: "11.1", Period: "2026-03", Value: &v}}, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	}
	review := func(svc *collector.Service, decision, comment string) {
		t.Helper()
		if _, err := svc.Review(ctx, office, []collector.ReviewRequest{{Indicator: "11.1", Period: "2026-03", Decision: decision, Comment: comment}}); err != nil {
			t.Fatal(err)
		}
	}
	refresh := func(svc *collector.Service) {
		t.Helper()
		if err := svc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// What counts through a replica: the approved revision of 11.1 for 2026-03 (0: none).
	counts := func(svc *collector.Service) int {
		for _, r := range svc.Series("11.1") {
			if r.Period == "2026-03" {
				return r.Revision
			}
		}
		return 0
	}
	received := func(svc *collector.Service) indicators.Revision {
		for _, r := range svc.Received("11.1") {
			if r.Period == "2026-03" {
				return r
			}
		}
		t.Fatal("11.1 2026-03 not received")
		return indicators.Revision{}
	}

	submit(a, 3e9)
	refresh(b)
	if got := b.ReviewItems("", indicators.Submitted); len(got) != 1 || counts(b) != 0 {
		t.Fatalf("before any review replica b waits for %d reports and counts revision %d", len(got), counts(b))
	}

	review(a, collector.DecisionApprove, "")
	refresh(b)
	refresh(b) // brought once, however often the feed is read
	if r := received(b); r.State() != indicators.Approved || len(r.Reviews) != 1 || counts(b) != 1 || len(b.ReviewItems("", indicators.Submitted)) != 0 {
		t.Fatalf("a's approval on replica b: state %s with %d reviews, counts revision %d, %d waiting", r.State(), len(r.Reviews), counts(b), len(b.ReviewItems("", indicators.Submitted)))
	}

	// The other way: fgw corrects through b, b returns it, a sees the return and keeps
	// counting the approved revision 1.
	submit(b, 3.2e9)
	review(b, collector.DecisionReturn, "请核实口径")
	refresh(a)
	got := a.ReviewItems("fgw", indicators.Returned)
	if len(got) != 1 || got[0].Revision != 2 || got[0].Reviews[len(got[0].Reviews)-1].Comment != "请核实口径" {
		t.Fatalf("b's return on replica a: %+v", got)
	}
	if counts(a) != 1 {
		t.Errorf("replica a counts revision %d after the return of revision 2, want the approved 1", counts(a))
	}
	// b's own review is not brought back to b as news.
	refresh(b)
	if r := received(b); len(r.Reviews) != 1 || r.State() != indicators.Returned {
		t.Errorf("replica b's own return: %d reviews, state %s", len(r.Reviews), r.State())
	}
}
