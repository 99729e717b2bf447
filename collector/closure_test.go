package collector_test

import (
	"context"
	"errors"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestClosingNeedsTheAdminAndAStoreThatTakesIt: a department cannot close (forbidden,
// nothing stored); a store that does not take the record leaves the plan as it was;
// closing twice stores one record.
func TestClosingNeedsTheAdminAndAStoreThatTakesIt(t *testing.T) {
	ctx := context.Background()
	st, err := boltstore.Open(ctx, boltstore.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	svc := reviewService(t, st, false)
	_, err = svc.SetClosed(ctx, collector.Principal{Department: "rsj"}, true, "")
	var ie *collector.InputError
	if !errors.As(err, &ie) || ie.Kind != collector.KindForbidden || ie.Code != collector.CodeForbiddenClose || svc.Closed() {
		t.Fatalf("a department closing: %v (closed %v)", err, svc.Closed())
	}
	if cs, err := st.Closures(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("a refused close stored %+v %v", cs, err)
	}
	if _, err := svc.SetClosed(ctx, admin, true, "年度结束"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetClosed(ctx, admin, true, "again"); err != nil {
		t.Fatal(err)
	}
	if c, _ := svc.Closure(); !c.Closed || c.Reason != "年度结束" {
		t.Errorf("closing twice changed the record in force: %+v", c)
	}
	other := reviewService(t, testenv.Store(t), false)
	if other.Closed() {
		t.Error("a service over another store is closed")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetClosed(ctx, admin, false, ""); err == nil || !svc.Closed() {
		t.Errorf("a reopen the store refused: %v, closed %v", err, svc.Closed())
	}
}
