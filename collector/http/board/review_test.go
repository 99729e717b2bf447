package board_test

import (
	"context"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/board"
	"github.com/duban-gov/duban/indicators"
)

// With review.required the board counts the approved value and shows what waits for
// review (待审核) or was returned (已退回) beside it; without it nothing of the kind.
func TestBoardShowsPendingReviewsBesideTheApprovedValue(t *testing.T) {
	svc := service(t)
	ctx := context.Background()
	admin := collector.Principal{Admin: true}
	if _, err := svc.Review(ctx, admin, []collector.ReviewRequest{{Indicator: "57.1", Period: "2026-03", Decision: "approve"}}); err != nil {
		t.Fatal(err)
	}
	v := 12500.0
	if _, err := svc.Submit(ctx, collector.Principal{Department: "rsj"}, []indicators.Report{{Indicator: "57.1", Period: "2026-03", Value: &v}}, ""); err != nil {
		t.Fatal(err)
	}
	b, err := board.New(board.Config{Source: svc})
	if err != nil {
		t.Fatal(err)
	}
	_, html := get(t, b, "/")
	if r := row(t, html, "57.1"); !strings.Contains(r, "12500人") || strings.Contains(r, "待审核") {
		t.Errorf("without review.required the latest counts and nothing waits:\n%s", r)
	}
	svc.SetReviewRequired(true)
	_, html = get(t, b, "/")
	r := row(t, html, "57.1")
	if !strings.Contains(r, `value">11800人<div class="period">2026-03`) || !strings.Contains(r, `<div class="pending">待审核 2026-03 12500人</div>`) {
		t.Errorf("with review.required the approved 11800 counts and 12500 waits:\n%s", r)
	}
	if _, err := svc.Review(ctx, admin, []collector.ReviewRequest{{Indicator: "57.1", Period: "2026-03", Decision: "return", Comment: "请核实"}}); err != nil {
		t.Fatal(err)
	}
	_, html = get(t, b, "/")
	if r := row(t, html, "57.1"); !strings.Contains(r, `<div class="pending">已退回 2026-03 12500人</div>`) {
		t.Errorf("a returned revision shows as 已退回:\n%s", r)
	}
}
