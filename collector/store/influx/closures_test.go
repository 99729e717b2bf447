package influx_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestAClosureReachesTheOtherReplicaAtItsRefresh: two replicas (two stores, two
// services, one database). The office closes the plan through one; the other takes a
// department's report until its next refresh, then refuses it with plan_closed; a
// reopen through the other reaches the first likewise. A replica restarted reads it too.
func TestAClosureReachesTheOtherReplicaAtItsRefresh(t *testing.T) {
	ctx := context.Background()
	db := testenv.StartInfluxd(t)
	st := freshStorage(t, db)
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators", "testdata", "mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 6, 15, 10, 0, 0, 0, cat.Plan.Location()) }
	replica := func(st storage) *collector.Service {
		s := openStore(t, db, st)
		t.Cleanup(func() { _ = s.Close() })
		svc, err := collector.NewService(ctx, collector.ServiceConfig{Catalog: cat, Store: s, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a := replica(st)
	b := replica(storage{bucket: st.bucket, spool: t.TempDir()})
	office := collector.Principal{Admin: true}
	submit := func(svc *collector.Service, period string) error {
		v := 3e9
		_, err := svc.Submit(ctx, collector.Principal{Department: "fgw"}, []indicators.Report{{Indicator: "11.1", Period: period, Value: &v}}, "10.0.0.1")
		return err
	}
	closed := func(err error) bool {
		var ie *collector.InputError
		return errors.As(err, &ie) && ie.Code == collector.CodePlanClosed
	}
	if _, err := a.SetClosed(ctx, office, true, "年度结束"); err != nil {
		t.Fatal(err)
	}
	if err := submit(a, "2026-03"); !closed(err) {
		t.Fatalf("replica a after closing: %v", err)
	}
	if b.Closed() {
		t.Fatal("replica b knew of the closure before its refresh")
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := submit(b, "2026-04"); !closed(err) {
		t.Fatalf("replica b after its refresh: %v", err)
	}
	if c, ok := b.Closure(); !ok || c.Reason != "年度结束" || c.By != "admin" {
		t.Errorf("replica b's closure: %+v", c)
	}
	if _, err := b.SetClosed(ctx, office, false, "误操作"); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := submit(a, "2026-03"); err != nil {
		t.Errorf("replica a after the reopen through b: %v", err)
	}
	if c := replica(storage{bucket: st.bucket, spool: t.TempDir()}); c.Closed() {
		t.Error("a replica started after the reopen has the plan closed")
	}
}
