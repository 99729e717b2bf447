package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
)

// The closure rules of the Store contract:
//   - SetClosure stores a record of a plan closed or reopened; Closures returns, per
//     plan, the record in force (latest At, the later written on a tie) with who, when
//     and why, ordered by plan; a store without closures returns none.
//   - Closures survive a reopen.

var closedAt = time.Date(2027, 2, 1, 1, 2, 3, 456000000, time.UTC)

func (h *harness) setClosure(c collector.Closure) {
	h.t.Helper()
	if err := h.s.SetClosure(context.Background(), c); err != nil {
		h.t.Fatalf("SetClosure(%+v): %v", c, err)
	}
}

func (h *harness) closures() []collector.Closure {
	h.t.Helper()
	cs, err := h.s.Closures(context.Background())
	if err != nil {
		h.t.Fatalf("Closures: %v", err)
	}
	return cs
}

func closureDiff(want, got []collector.Closure) string {
	if len(want) != len(got) {
		return fmt.Sprintf("want %d closures, got %d: %+v", len(want), len(got), got)
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Plan != g.Plan || w.Closed != g.Closed || w.By != g.By || w.Reason != g.Reason || !w.At.Equal(g.At) {
			return fmt.Sprintf("closure %d: want %+v, got %+v", i, w, g)
		}
	}
	return ""
}

func testClosures(t *testing.T, h *harness) {
	if cs := h.closures(); len(cs) != 0 {
		t.Fatalf("a new store has closures: %+v", cs)
	}
	other := "minsheng-2026"
	closed := collector.Closure{Plan: plan, Closed: true, By: "admin", At: closedAt, Reason: "2026年度终期通报已印发，\"年度\"结束"}
	h.setClosure(closed)
	h.setClosure(collector.Closure{Plan: other, Closed: true, By: "admin", At: closedAt.Add(-time.Hour)})
	want := []collector.Closure{{Plan: other, Closed: true, By: "admin", At: closedAt.Add(-time.Hour)}, closed}
	if plan < other {
		want[0], want[1] = want[1], want[0]
	}
	if d := closureDiff(want, h.closures()); d != "" {
		t.Errorf("two plans closed: %s", d)
	}
	reopened := collector.Closure{Plan: other, Closed: false, By: "admin", At: closedAt, Reason: "误操作"}
	h.setClosure(reopened)
	for i := range want {
		if want[i].Plan == other {
			want[i] = reopened
		}
	}
	if d := closureDiff(want, h.closures()); d != "" {
		t.Errorf("a plan reopened: %s", d)
	}
	// An older record written later is not in force; a record at the same instant is.
	h.setClosure(collector.Closure{Plan: other, Closed: true, By: "admin", At: closedAt.Add(-2 * time.Hour)})
	if d := closureDiff(want, h.closures()); d != "" {
		t.Errorf("an older record written later: %s", d)
	}
	tie := collector.Closure{Plan: plan, Closed: false, By: "admin", At: closedAt}
	h.setClosure(tie)
	for i := range want {
		if want[i].Plan == plan {
			want[i] = tie
		}
	}
	if d := closureDiff(want, h.closures()); d != "" {
		t.Errorf("a record at the same instant written later: %s", d)
	}
	if revs := h.latest(); len(revs) != 0 {
		t.Errorf("closures stored revisions: %+v", revs)
	}
}

func testClosuresReopen(t *testing.T, h *harness) {
	c := collector.Closure{Plan: plan, Closed: true, By: "admin", At: closedAt, Reason: "年度结束"}
	h.setClosure(c)
	h.reopen()
	if d := closureDiff([]collector.Closure{c}, h.closures()); d != "" {
		t.Errorf("after a reopen: %s", d)
	}
}
