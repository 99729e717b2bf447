// Package storetest is the conformance suite that every collector.Store backend must
// pass. A backend's test calls Run with a way to open fresh, empty storage and,
// when it can, a way to open the same storage again:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Config{
//			Open:   func(t *testing.T) collector.Store { ... fresh temp dir ... },
//			Reopen: func(t *testing.T, closed collector.Store) collector.Store { ... same dir ... },
//		})
//	}
//
// The suite assumes only what collector.Store documents:
//   - Append is all or nothing. When its context is canceled the suite accepts either
//     outcome (an error with nothing stored, or receipts with everything stored), never
//     a part; a remote backend may not be able to take back a write already sent.
//   - Revision numbers per (indicator, period) are 1 + the highest stored, counting
//     earlier elements of the same batch; concurrent batches never interleave.
//   - (Sender, IdempotencyKey) with a non-empty key is stored once; a later element with
//     the same pair and the same content (indicator, period, value, stage, percent), in
//     a later batch or later in the same batch, gets the original receipt with Replayed
//     set and adds nothing; with other content the whole batch is refused with an
//     *collector.IdempotencyConflict naming it. An empty key never deduplicates.
//   - An element with MustBeFirst that would not be revision 1 refuses the whole batch
//     with a *collector.NotFirstError naming it, also when concurrent batches race for
//     the first revision: exactly one wins.
//   - Every field of a Revision reads back as written; times as the same instant (zone
//     and monotonic reading are not kept), at nanosecond precision.
//   - History of an unknown indicator is empty, not an error; an empty batch stores
//     nothing. History is in indicators.CompareHistory order (period end, form, revision).
//   - FirstArrivals gives, per indicator and asked period end, the earliest ReceivedAt of
//     its revisions for any period ending then.
//   - Reviews: see reviews.go. Plan closures: see closures.go.
//   - Close waits for appends in flight: every receipt handed out is durable.
//   - Calls after Close return an error.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// Config tells the suite how to get stores.
type Config struct {
	// Open returns a store over new, empty storage. The suite closes every store it
	// gets. Required.
	Open func(t *testing.T) collector.Store
	// Reopen opens again the storage of a store the suite has just closed, as a
	// restarted process would. Nil skips the tests that need it.
	Reopen func(t *testing.T, closed collector.Store) collector.Store
	// Goroutines in the concurrent tests. Default 16.
	Goroutines int
	// Appends per goroutine in the concurrent tests. Default 25.
	AppendsPerGoroutine int
}

func (c *Config) defaults(t *testing.T) {
	t.Helper()
	if c.Open == nil {
		t.Fatal("storetest: Config.Open is required")
	}
	if c.Goroutines <= 0 {
		c.Goroutines = 16
	}
	if c.AppendsPerGoroutine <= 0 {
		c.AppendsPerGoroutine = 25
	}
}

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, cfg Config) {
	cfg.defaults(t)
	tests := map[string]func(t *testing.T, h *harness){
		"a revision reads back with every field":                                   testRoundTrip,
		"revisions count per indicator and period across batches and in a batch":   testNumbering,
		"latest keeps the highest revision of every period and every indicator":    testLatest,
		"history is ordered by period end then revision whatever the order sent":   testHistoryOrder,
		"history holds only the indicator asked for":                               testHistoryPrefix,
		"periods ending at the same instant come month, quarter, day in history":   testHistorySameInstant,
		"first arrivals are the earliest revision per indicator and period end":    testFirstArrivals,
		"the same indicator id in two plans is two series":                         testTwoPlans,
		"an unknown indicator has an empty history and an empty store no values":   testEmpty,
		"an empty batch stores nothing":                                            testEmptyBatch,
		"a replayed idempotency key returns the original receipt and adds nothing": testReplay,
		"two keys in one batch are both stored and both replay":                    testTwoKeys,
		"the same key twice in one batch replays the first or refuses the batch":   testSameKeyInBatch,
		"a key reused for other content refuses the whole batch":                   testKeyConflict,
		"note, evidence and reason are not part of a key's content":                testKeyContent,
		"an element that must be first is refused once its period has a revision":  testMustBeFirst,
		"of concurrent first reports that must be first exactly one is stored":     testMustBeFirstRace,
		"of two refusals in one batch the first in batch order is the error":       testFirstRefusalWins,
		"the same key from two senders is two reports":                             testSenders,
		"reports without a key are never deduplicated":                             testNoKey,
		"a batch with a canceled context is stored whole or not at all":            testCanceled,
		"batches canceled at random moments are whole or absent":                   testRandomCancel,
		"concurrent appends number revisions 1..N without gaps or duplicates":      testConcurrent,
		"a large batch of 1000 reports is stored whole":                            testLargeBatch,
		"the store keeps no reference to the caller's batch or results":            testOwnership,
		"appending after close fails":                                              testAfterClose,
		"everything survives a reopen and numbering and idempotency continue":      testReopen,
		"close waits for appends in flight and keeps every receipt":                testCloseInFlight,
		"a review judges the latest revision and reads back with who and when":     testReviewLatest,
		"a batch with a review of a period without a report stores nothing":        testReviewNoReport,
		"a revision sent after a return is submitted again":                        testReviewResubmit,
		"approved is the highest revision whose latest review approves it":         testReviewApproved,
		"reviews survive a reopen":                                                 testReviewReopen,
		"reviews of one indicator id in two plans are apart":                       testReviewTwoPlans,
		"the closure in force of every plan reads back with who, when and why":     testClosures,
		"closures survive a reopen":                                                testClosuresReopen,
	}
	names := make([]string, 0, len(tests))
	for name := range tests {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			h := &harness{cfg: cfg, t: t}
			h.s = cfg.Open(t)
			t.Cleanup(func() {
				if !h.closed {
					if err := h.s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				}
			})
			tests[name](t, h)
		})
	}
}

// harness holds the store of one subtest.
type harness struct {
	cfg    Config
	t      *testing.T
	s      collector.Store
	closed bool
}

func (h *harness) close() {
	h.t.Helper()
	if h.closed {
		return
	}
	h.closed = true
	if err := h.s.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
}

// reopen closes the store and opens its storage again; it skips without a Reopen hook.
func (h *harness) reopen() {
	h.t.Helper()
	if h.cfg.Reopen == nil {
		h.t.Skip("backend has no Reopen hook")
	}
	h.close()
	h.s = h.cfg.Reopen(h.t, h.s)
	h.closed = false
}

func (h *harness) append(batch ...indicators.Revision) []indicators.Receipt {
	h.t.Helper()
	rcs, err := h.s.Append(context.Background(), batch)
	if err != nil {
		h.t.Fatalf("Append: %v", err)
	}
	if len(rcs) != len(batch) {
		h.t.Fatalf("Append returned %d receipts for %d reports", len(rcs), len(batch))
	}
	return rcs
}

// history is the history of an indicator of the fixtures' plan.
func (h *harness) history(indicator string) []indicators.Revision {
	h.t.Helper()
	return h.historyOf(plan, indicator)
}

func (h *harness) historyOf(plan, indicator string) []indicators.Revision {
	h.t.Helper()
	revs, err := h.s.History(context.Background(), plan, indicator)
	if err != nil {
		h.t.Fatalf("History(%q, %q): %v", plan, indicator, err)
	}
	return revs
}

func (h *harness) latest() []indicators.Revision {
	h.t.Helper()
	revs, err := h.s.Latest(context.Background())
	if err != nil {
		h.t.Fatalf("Latest: %v", err)
	}
	return revs
}

// latestOf indexes Latest by "indicator period" (the fixtures' plan) or "plan/indicator
// period" (any other).
func (h *harness) latestOf() map[string]indicators.Revision {
	h.t.Helper()
	m := map[string]indicators.Revision{}
	for _, r := range h.latest() {
		k := r.Indicator + " " + r.Period
		if r.Plan != plan {
			k = r.Plan + "/" + k
		}
		if _, dup := m[k]; dup {
			h.t.Errorf("Latest holds %s twice", k)
		}
		m[k] = r
	}
	return m
}

// Fixtures.

// plan is the plan of the fixtures; testTwoPlans adds another.
const plan = "changzhi-2026"

var (
	planZone = time.FixedZone("CST", 8*3600)
	received = time.Date(2026, 4, 10, 9, 30, 15, 123456789, time.UTC)
)

func ptr(f float64) *float64 { return &f }

// rev is a plain numeric report from department "fgw".
func rev(indicator, period string, value float64) indicators.Revision {
	p, err := indicators.ParsePeriod(period)
	if err != nil {
		panic(err)
	}
	return indicators.Revision{
		Report:     indicators.Report{Plan: plan, Indicator: indicator, Period: period, Value: ptr(value)},
		Department: "fgw",
		Sender:     "fgw",
		ReceivedAt: received,
		Remote:     "127.0.0.1:40000",
		PeriodEnd:  p.End(planZone),
	}
}

func withKey(r indicators.Revision, sender, key string) indicators.Revision {
	r.Sender, r.IdempotencyKey = sender, key
	return r
}

func withNote(r indicators.Revision, note string) indicators.Revision {
	r.Note = note
	return r
}

// diff lists the fields in which got differs from want (Revision compared too).
func diff(want, got indicators.Revision) []string {
	var d []string
	f := func(name string, w, g any) {
		if w != g {
			d = append(d, fmt.Sprintf("%s: want %#v, got %#v", name, w, g))
		}
	}
	fp := func(name string, w, g *float64) {
		switch {
		case w == nil && g == nil:
		case w == nil || g == nil:
			d = append(d, fmt.Sprintf("%s: want %v, got %v (nil vs set)", name, show(w), show(g)))
		case math.Float64bits(*w) != math.Float64bits(*g):
			d = append(d, fmt.Sprintf("%s: want %v, got %v", name, *w, *g))
		}
	}
	ft := func(name string, w, g time.Time) {
		if !w.Equal(g) {
			d = append(d, fmt.Sprintf("%s: want %s, got %s", name, w.Format(time.RFC3339Nano), g.Format(time.RFC3339Nano)))
		}
	}
	f("Plan", want.Plan, got.Plan)
	f("Indicator", want.Indicator, got.Indicator)
	f("Period", want.Period, got.Period)
	fp("Value", want.Value, got.Value)
	f("Stage", want.Stage, got.Stage)
	fp("Percent", want.Percent, got.Percent)
	f("Note", want.Note, got.Note)
	f("Evidence", want.Evidence, got.Evidence)
	f("IdempotencyKey", want.IdempotencyKey, got.IdempotencyKey)
	f("Reason", want.Reason, got.Reason)
	f("Revision", want.Revision, got.Revision)
	f("Department", want.Department, got.Department)
	f("Sender", want.Sender, got.Sender)
	ft("ReceivedAt", want.ReceivedAt, got.ReceivedAt)
	f("Remote", want.Remote, got.Remote)
	ft("PeriodEnd", want.PeriodEnd, got.PeriodEnd)
	return d
}

func show(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func checkSame(t *testing.T, where string, want, got indicators.Revision) {
	t.Helper()
	if d := diff(want, got); len(d) > 0 {
		t.Errorf("%s %s %s: %s", where, want.Indicator, want.Period, strings.Join(d, "; "))
	}
}

func checkReceipts(t *testing.T, got []indicators.Receipt, want ...indicators.Receipt) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("receipts:\n got %+v\nwant %+v", got, want)
	}
}

func receipt(indicator, period string, revision int) indicators.Receipt {
	return indicators.Receipt{Indicator: indicator, Period: period, Revision: revision}
}

func replayed(indicator, period string, revision int) indicators.Receipt {
	return indicators.Receipt{Indicator: indicator, Period: period, Revision: revision, Replayed: true}
}

// The tests.

func testRoundTrip(t *testing.T, h *harness) {
	numeric := rev("57.1", "2026-03", 11800.25)
	numeric.Note = "进展情况：一季度完成11800万元。\n存在问题：无。\t下步打算：加快进度"
	numeric.Evidence = "https://example.gov.cn/附件/1.pdf?a=1&b=2"
	numeric.IdempotencyKey = "fgw-2026-03-57.1-\u00e9-🙂"
	numeric.Remote = "[::1]:51234"
	numeric.ReceivedAt = time.Date(2026, 4, 1, 8, 0, 0, 999999999, planZone)

	milestone := rev("12.3", "2026-Q1", 0)
	milestone.Value = nil
	milestone.Stage = indicators.StageStarted
	milestone.Percent = ptr(0)
	milestone.Department = "zjj"
	milestone.Sender = "admin"
	milestone.Reason = "更正：部门误报"
	milestone.Remote = ""

	zero := rev("3.2", "2026-06-30", 0) // value 0 is not "no value"
	zero.Evidence = ""
	negative := rev("3.3", "2026-12", -1.5e-7)
	huge := rev("3.4", "2026-02", 1e300)
	noValue := rev("3.5", "2026-01", 0)
	noValue.Value = nil
	noValue.Department, noValue.Sender, noValue.Remote = "", "", ""

	batch := []indicators.Revision{numeric, milestone, zero, negative, huge, noValue}
	h.append(batch...)
	latest := h.latestOf()
	if len(latest) != len(batch) {
		t.Errorf("Latest has %d values, want %d", len(latest), len(batch))
	}
	for _, want := range batch {
		want.Revision = 1
		checkSame(t, "Latest", want, latest[want.Indicator+" "+want.Period])
		hist := h.history(want.Indicator)
		if len(hist) != 1 {
			t.Errorf("History(%s) has %d revisions, want 1", want.Indicator, len(hist))
			continue
		}
		checkSame(t, "History", want, hist[0])
	}
}

func testNumbering(t *testing.T, h *harness) {
	checkReceipts(t, h.append(rev("1.1", "2026-01", 1), rev("1.1", "2026-01", 2), rev("1.1", "2026-02", 3), rev("1.2", "2026-01", 4)),
		receipt("1.1", "2026-01", 1), receipt("1.1", "2026-01", 2), receipt("1.1", "2026-02", 1), receipt("1.2", "2026-01", 1))
	checkReceipts(t, h.append(rev("1.1", "2026-01", 5)), receipt("1.1", "2026-01", 3))
	checkReceipts(t, h.append(rev("1.1", "2026-02", 6), rev("1.1", "2026-Q1", 7), rev("1.1", "2026-02", 8)),
		receipt("1.1", "2026-02", 2), receipt("1.1", "2026-Q1", 1), receipt("1.1", "2026-02", 3))
	var got []string
	for _, r := range h.history("1.1") {
		got = append(got, fmt.Sprintf("%s#%d=%g", r.Period, r.Revision, *r.Value))
	}
	want := []string{"2026-01#1=1", "2026-01#2=2", "2026-01#3=5", "2026-02#1=3", "2026-02#2=6", "2026-02#3=8", "2026-Q1#1=7"}
	if !slices.Equal(got, want) {
		t.Errorf("History(1.1):\n got %v\nwant %v", got, want)
	}
}

func testLatest(t *testing.T, h *harness) {
	h.append(rev("2.1", "2026-01", 10), rev("2.1", "2026-02", 20), rev("2.2", "2026-01", 30))
	h.append(rev("2.1", "2026-01", 11), rev("2.1", "2026-01", 12))
	h.append(rev("2.2", "2026-01", 31))
	latest := h.latestOf()
	want := map[string]struct {
		revision int
		value    float64
	}{
		"2.1 2026-01": {3, 12},
		"2.1 2026-02": {1, 20},
		"2.2 2026-01": {2, 31},
	}
	if len(latest) != len(want) {
		t.Errorf("Latest has %d values, want %d: %v", len(latest), len(want), latest)
	}
	for k, w := range want {
		got, ok := latest[k]
		if !ok {
			t.Errorf("Latest lacks %s", k)
			continue
		}
		if got.Revision != w.revision || got.Value == nil || *got.Value != w.value {
			t.Errorf("Latest %s = revision %d value %v, want revision %d value %g", k, got.Revision, show(got.Value), w.revision, w.value)
		}
	}
}

func testHistoryOrder(t *testing.T, h *harness) {
	// Sent out of order: December first, then June, then January, then corrections.
	h.append(rev("4.1", "2026-12", 12))
	h.append(rev("4.1", "2026-06-30", 6), rev("4.1", "2026-01", 1))
	h.append(rev("4.1", "2026-01", 1.5), rev("4.1", "2026-12", 12.5))
	h.append(rev("4.1", "2026-Q3", 9))
	hist := h.history("4.1")
	var got []string
	for _, r := range hist {
		got = append(got, fmt.Sprintf("%s#%d", r.Period, r.Revision))
	}
	want := []string{"2026-01#1", "2026-01#2", "2026-06-30#1", "2026-Q3#1", "2026-12#1", "2026-12#2"}
	if !slices.Equal(got, want) {
		t.Errorf("History order:\n got %v\nwant %v", got, want)
	}
	for i := 1; i < len(hist); i++ {
		a, b := hist[i-1], hist[i]
		if b.PeriodEnd.Before(a.PeriodEnd) || (b.PeriodEnd.Equal(a.PeriodEnd) && b.Revision < a.Revision) {
			t.Errorf("History not ordered at %d: %s#%d after %s#%d", i, b.Period, b.Revision, a.Period, a.Revision)
		}
	}
}

func testHistorySameInstant(t *testing.T, h *harness) {
	// 2026-03, 2026-Q1 and 2026-03-31 all end on 2026-04-01 00:00 in the plan zone.
	h.append(rev("4.2", "2026-Q1", 1), rev("4.2", "2026-03-31", 2), rev("4.2", "2026-03", 3))
	h.append(rev("4.2", "2026-03", 4), rev("4.2", "2026-Q1", 5))
	h.append(rev("4.2", "2026-02", 6))
	var got []string
	for _, r := range h.history("4.2") {
		got = append(got, fmt.Sprintf("%s#%d", r.Period, r.Revision))
	}
	want := []string{"2026-02#1", "2026-03#1", "2026-03#2", "2026-Q1#1", "2026-Q1#2", "2026-03-31#1"}
	if !slices.Equal(got, want) {
		t.Errorf("History order (indicators.CompareHistory):\n got %v\nwant %v", got, want)
	}
}

func testFirstArrivals(t *testing.T, h *harness) {
	at := func(r indicators.Revision, day int) indicators.Revision {
		r.ReceivedAt = time.Date(2026, 4, day, 9, 0, 0, 0, planZone)
		return r
	}
	h.append(at(rev("8.1", "2026-03", 1), 5), at(rev("8.2", "2026-Q1", 1), 12), at(rev("8.3", "2026-02", 1), 3))
	h.append(at(rev("8.1", "2026-03", 2), 20)) // a correction does not move the first arrival
	h.append(at(rev("8.2", "2026-03", 2), 8))  // another form ending at the same instant, earlier
	h.append(at(rev("8.4", "2026-03", 1), 15)) // a report for March alone
	h.append(at(rev("8.4", "2026-04", 1), 30)) // and one for April, not asked for
	march := rev("x", "2026-03", 0).PeriodEnd
	feb := rev("x", "2026-02", 0).PeriodEnd
	got, err := h.s.FirstArrivals(context.Background(), []time.Time{march, feb})
	if err != nil {
		t.Fatalf("FirstArrivals: %v", err)
	}
	var lines []string
	for _, a := range got {
		lines = append(lines, fmt.Sprintf("%s %s %s", a.Indicator, a.PeriodEnd.In(planZone).Format("2006-01-02"), a.FirstReceived.In(planZone).Format("01-02")))
	}
	want := []string{"8.1 2026-04-01 04-05", "8.2 2026-04-01 04-08", "8.3 2026-03-01 04-03", "8.4 2026-04-01 04-15"}
	if !slices.Equal(lines, want) {
		t.Errorf("FirstArrivals:\n got %v\nwant %v", lines, want)
	}
	if none, err := h.s.FirstArrivals(context.Background(), []time.Time{rev("x", "2026-09", 0).PeriodEnd}); err != nil || len(none) != 0 {
		t.Errorf("FirstArrivals of a period nobody reported = %+v, %v; want none", none, err)
	}
}

// testTwoPlans: plans are the unit of data. Indicator "1.1" of two plans (the 2026
// list and the 民生实事 list) numbers, reads and arrives apart.
func testTwoPlans(t *testing.T, h *harness) {
	const other = "minsheng-2026"
	in := func(p string, r indicators.Revision) indicators.Revision { r.Plan = p; return r }
	checkReceipts(t, h.append(rev("1.1", "2026-03", 100), in(other, rev("1.1", "2026-03", 7))),
		receipt("1.1", "2026-03", 1), receipt("1.1", "2026-03", 1))
	checkReceipts(t, h.append(in(other, rev("1.1", "2026-03", 8))), receipt("1.1", "2026-03", 2))
	checkReceipts(t, h.append(rev("1.1", "2026-03", 101)), receipt("1.1", "2026-03", 2))
	checkReceipts(t, h.append(in(other, rev("1.1", "2026-03", 9))), receipt("1.1", "2026-03", 3))
	for p, want := range map[string][]float64{plan: {100, 101}, other: {7, 8, 9}} {
		hist := h.historyOf(p, "1.1")
		var got []float64
		for _, r := range hist {
			if r.Plan != p {
				t.Errorf("History(%s, 1.1) holds a revision of plan %q", p, r.Plan)
			}
			got = append(got, *r.Value)
		}
		if !slices.Equal(got, want) {
			t.Errorf("History(%s, 1.1) values %v, want %v", p, got, want)
		}
	}
	if hist := h.historyOf("changzhi-2025", "1.1"); len(hist) != 0 {
		t.Errorf("History of a plan never reported = %+v, want none", hist)
	}
	l := h.latestOf()
	if r := l["1.1 2026-03"]; r.Revision != 2 || *r.Value != 101 {
		t.Errorf("latest of %s 1.1 = %+v, want revision 2 (101)", plan, r)
	}
	if r := l[other+"/1.1 2026-03"]; r.Revision != 3 || *r.Value != 9 || r.Plan != other {
		t.Errorf("latest of %s 1.1 = %+v, want revision 3 (9)", other, r)
	}
	arr, err := h.s.FirstArrivals(context.Background(), []time.Time{rev("x", "2026-03", 0).PeriodEnd})
	if err != nil {
		t.Fatalf("FirstArrivals: %v", err)
	}
	var plans []string
	for _, a := range arr {
		plans = append(plans, a.Plan+" "+a.Indicator)
	}
	if want := []string{plan + " 1.1", other + " 1.1"}; !slices.Equal(plans, want) {
		t.Errorf("FirstArrivals = %v, want %v (ordered by plan, then indicator)", plans, want)
	}
}

func testHistoryPrefix(t *testing.T, h *harness) {
	ids := []string{"5.1", "5.10", "5.1.1", "5", "5.1 ", "五.1"}
	for i, id := range ids {
		h.append(rev(id, "2026-03", float64(i)))
	}
	for i, id := range ids {
		hist := h.history(id)
		if len(hist) != 1 || hist[0].Indicator != id || *hist[0].Value != float64(i) {
			t.Errorf("History(%q) = %+v, want only its own revision", id, hist)
		}
	}
}

func testEmpty(t *testing.T, h *harness) {
	if got := h.latest(); len(got) != 0 {
		t.Errorf("Latest of an empty store = %+v, want none", got)
	}
	if got := h.history("9.9"); len(got) != 0 {
		t.Errorf("History of an empty store = %+v, want none", got)
	}
	h.append(rev("9.1", "2026-03", 1))
	if got := h.history("9.9"); len(got) != 0 {
		t.Errorf("History of an unknown indicator = %+v, want none", got)
	}
	if got := h.history(""); len(got) != 0 {
		t.Errorf("History of the empty id = %+v, want none", got)
	}
}

func testEmptyBatch(t *testing.T, h *harness) {
	rcs, err := h.s.Append(context.Background(), nil)
	if err == nil && len(rcs) != 0 {
		t.Errorf("Append(nil) = %+v, want no receipts", rcs)
	}
	if got := h.latest(); len(got) != 0 {
		t.Errorf("Latest after an empty batch = %+v, want none", got)
	}
}

func testReplay(t *testing.T, h *harness) {
	first := withKey(rev("6.1", "2026-03", 100), "fgw", "k-1")
	checkReceipts(t, h.append(first), receipt("6.1", "2026-03", 1))
	h.append(rev("6.1", "2026-03", 101)) // a later revision without key
	again := first
	again.Note = "retry" // the note is not content: a retry may carry another
	checkReceipts(t, h.append(again), replayed("6.1", "2026-03", 1))
	// A replayed element of a mixed batch adds nothing; the others are stored.
	checkReceipts(t, h.append(rev("6.1", "2026-03", 102), again),
		receipt("6.1", "2026-03", 3), replayed("6.1", "2026-03", 1))
	hist := h.history("6.1")
	if len(hist) != 3 {
		t.Fatalf("History has %d revisions, want 3: %+v", len(hist), hist)
	}
	want := first
	want.Revision = 1
	checkSame(t, "History", want, hist[0])
	for _, r := range hist {
		if r.Note == "retry" {
			t.Errorf("the replayed report was stored: %+v", r)
		}
	}
}

func testTwoKeys(t *testing.T, h *harness) {
	a := withKey(rev("7.1", "2026-03", 1), "fgw", "a")
	b := withKey(rev("7.1", "2026-03", 2), "fgw", "b")
	checkReceipts(t, h.append(a, b), receipt("7.1", "2026-03", 1), receipt("7.1", "2026-03", 2))
	checkReceipts(t, h.append(a, b), replayed("7.1", "2026-03", 1), replayed("7.1", "2026-03", 2))
	checkReceipts(t, h.append(b), replayed("7.1", "2026-03", 2))
	if n := len(h.history("7.1")); n != 2 {
		t.Errorf("History has %d revisions, want 2", n)
	}
}

func testSameKeyInBatch(t *testing.T, h *harness) {
	a := withKey(rev("7.2", "2026-03", 1), "fgw", "dup")
	same := withNote(a, "sent twice")
	checkReceipts(t, h.append(a, rev("7.2", "2026-04", 3), same),
		receipt("7.2", "2026-03", 1), receipt("7.2", "2026-04", 1), replayed("7.2", "2026-03", 1))
	other := withKey(rev("7.2", "2026-05", 2), "fgw", "dup2")
	clash := withKey(rev("7.2", "2026-05", 9), "fgw", "dup2")
	rcs, err := h.s.Append(context.Background(), []indicators.Revision{rev("7.2", "2026-06", 4), other, clash})
	checkConflict(t, rcs, err, 2, "dup2")
	hist := h.history("7.2")
	if len(hist) != 2 {
		t.Fatalf("History has %d revisions, want 2 (nothing of the refused batch): %+v", len(hist), hist)
	}
	if *hist[0].Value != 1 {
		t.Errorf("stored value %v, want the first element's 1", *hist[0].Value)
	}
	// Refused, the key is still free.
	checkReceipts(t, h.append(clash), receipt("7.2", "2026-05", 1))
}

// checkConflict wants an *IdempotencyConflict naming element index and key, no receipts.
func checkConflict(t *testing.T, rcs []indicators.Receipt, err error, index int, key string) {
	t.Helper()
	var ic *collector.IdempotencyConflict
	switch {
	case err == nil:
		t.Fatalf("Append accepted a key reused for other content: %+v", rcs)
	case !errors.As(err, &ic):
		t.Fatalf("Append: %v, want an *IdempotencyConflict", err)
	case ic.Index != index || ic.Key != key:
		t.Errorf("conflict %+v, want element %d and key %q", ic, index, key)
	case rcs != nil:
		t.Errorf("receipts %+v with an error", rcs)
	}
}

func testKeyConflict(t *testing.T, h *harness) {
	first := withKey(rev("7.5", "2026-03", 100), "fgw", "k")
	checkReceipts(t, h.append(first), receipt("7.5", "2026-03", 1))
	for name, change := range map[string]func(r *indicators.Revision){
		"value":     func(r *indicators.Revision) { r.Value = ptr(101) },
		"indicator": func(r *indicators.Revision) { r.Indicator = "7.6" },
		"period": func(r *indicators.Revision) {
			r.Period = "2026-04"
			r.PeriodEnd = r.PeriodEnd.AddDate(0, 1, 0)
		},
		"stage":   func(r *indicators.Revision) { r.Value, r.Stage = nil, indicators.StageStarted },
		"percent": func(r *indicators.Revision) { r.Percent = ptr(10) },
	} {
		t.Run("other "+name, func(t *testing.T) {
			again := first
			change(&again)
			rcs, err := h.s.Append(context.Background(), []indicators.Revision{rev("7.5", "2026-05", 5), again})
			checkConflict(t, rcs, err, 1, "k")
		})
	}
	if hist := h.history("7.5"); len(hist) != 1 {
		t.Errorf("History has %d revisions, want only the first: %+v", len(hist), hist)
	}
	if hist := h.history("7.6"); len(hist) != 0 {
		t.Errorf("7.6 has %d revisions, want none", len(hist))
	}
	// The same content replays, after a reopen too.
	checkReceipts(t, h.append(first), replayed("7.5", "2026-03", 1))
	if h.cfg.Reopen != nil {
		h.reopen()
		again := first
		again.Value = ptr(99)
		rcs, err := h.s.Append(context.Background(), []indicators.Revision{again})
		checkConflict(t, rcs, err, 0, "k")
		checkReceipts(t, h.append(first), replayed("7.5", "2026-03", 1))
	}
}

func testKeyContent(t *testing.T, h *harness) {
	first := withKey(rev("7.7", "2026-03", 0), "fgw", "k")
	first.Note, first.Evidence = "a", "https://example.org/a"
	checkReceipts(t, h.append(first), receipt("7.7", "2026-03", 1))
	again := first
	again.Note, again.Evidence, again.Reason = "b", "https://example.org/b", "更正"
	again.Value = ptr(math.Copysign(0, -1)) // -0 is 0
	again.ReceivedAt = again.ReceivedAt.Add(time.Hour)
	checkReceipts(t, h.append(again), replayed("7.7", "2026-03", 1))
	m := withKey(rev("7.8", "2026-Q1", 0), "fgw", "m")
	m.Value, m.Stage, m.Percent = nil, indicators.StageStarted, ptr(40)
	checkReceipts(t, h.append(m), receipt("7.8", "2026-Q1", 1))
	m.Note = "again"
	checkReceipts(t, h.append(m), replayed("7.8", "2026-Q1", 1))
}

func first(r indicators.Revision) indicators.Revision {
	r.MustBeFirst = true
	return r
}

// checkNotFirst wants a *NotFirstError naming element index, no receipts.
func checkNotFirst(t *testing.T, rcs []indicators.Receipt, err error, index int) {
	t.Helper()
	var nf *collector.NotFirstError
	switch {
	case err == nil:
		t.Fatalf("Append stored an element that must be first and is not: %+v", rcs)
	case !errors.As(err, &nf):
		t.Fatalf("Append: %v, want a *NotFirstError", err)
	case nf.Index != index:
		t.Errorf("refusal %+v, want element %d", nf, index)
	case rcs != nil:
		t.Errorf("receipts %+v with an error", rcs)
	}
}

func testMustBeFirst(t *testing.T, h *harness) {
	// A fresh period: revision 1, and the flag is not stored.
	a := withKey(first(rev("9.1", "2026-03", 1)), "admin", "a")
	checkReceipts(t, h.append(a), receipt("9.1", "2026-03", 1))
	if got := h.history("9.1")[0]; got.MustBeFirst {
		t.Errorf("MustBeFirst was stored: %+v", got)
	}
	// Replaying it adds nothing and is not refused.
	checkReceipts(t, h.append(a), replayed("9.1", "2026-03", 1))
	// Stored before: refused, nothing of the batch stored.
	rcs, err := h.s.Append(context.Background(), []indicators.Revision{rev("9.2", "2026-03", 1), first(rev("9.1", "2026-03", 2))})
	checkNotFirst(t, rcs, err, 1)
	// Earlier in the same batch: refused.
	rcs, err = h.s.Append(context.Background(), []indicators.Revision{first(rev("9.3", "2026-03", 1)), first(rev("9.3", "2026-03", 2))})
	checkNotFirst(t, rcs, err, 1)
	// Other periods and forms of a period are other keys.
	checkReceipts(t, h.append(first(rev("9.3", "2026-03", 1)), first(rev("9.3", "2026-Q1", 2))),
		receipt("9.3", "2026-03", 1), receipt("9.3", "2026-Q1", 1))
	if n := len(h.history("9.2")); n != 0 {
		t.Errorf("9.2 has %d revisions from a refused batch", n)
	}
	if n := len(h.history("9.1")); n != 1 {
		t.Errorf("9.1 has %d revisions, want 1", n)
	}
}

// testFirstRefusalWins: the rules apply element by element (collector.Number), so when a
// batch breaks two of them the error names the earlier element, in every backend.
func testFirstRefusalWins(t *testing.T, h *harness) {
	key := withKey(rev("9.5", "2026-03", 1), "fgw", "k")
	checkReceipts(t, h.append(key, rev("9.6", "2026-03", 1)), receipt("9.5", "2026-03", 1), receipt("9.6", "2026-03", 1))
	conflict := key
	conflict.Value = ptr(2)
	notFirst := first(rev("9.6", "2026-03", 2))
	rcs, err := h.s.Append(context.Background(), []indicators.Revision{conflict, notFirst})
	checkConflict(t, rcs, err, 0, "k")
	rcs, err = h.s.Append(context.Background(), []indicators.Revision{notFirst, conflict})
	checkNotFirst(t, rcs, err, 0)
	if n := len(h.history("9.5")) + len(h.history("9.6")); n != 2 {
		t.Errorf("%d revisions after two refused batches, want the 2 stored before", n)
	}
}

func testMustBeFirstRace(t *testing.T, h *harness) {
	n := h.cfg.Goroutines
	var (
		wg       sync.WaitGroup
		won      atomic.Int32
		refused  atomic.Int32
		start    = make(chan struct{})
		failures = make(chan error, n)
	)
	for g := range n {
		wg.Go(func() {
			<-start
			r := first(rev("9.9", "2026-03", float64(g)))
			_, err := h.s.Append(context.Background(), []indicators.Revision{r})
			var nf *collector.NotFirstError
			switch {
			case err == nil:
				won.Add(1)
			case errors.As(err, &nf):
				refused.Add(1)
			default:
				failures <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Errorf("Append: %v", err)
	}
	if won.Load() != 1 || refused.Load() != int32(n-1) {
		t.Errorf("%d first reports stored and %d refused, want 1 and %d", won.Load(), refused.Load(), n-1)
	}
	if hist := h.history("9.9"); len(hist) != 1 || hist[0].Revision != 1 {
		t.Errorf("History %+v, want one revision 1", hist)
	}
}

func testSenders(t *testing.T, h *harness) {
	a := withKey(rev("7.3", "2026-03", 1), "fgw", "same")
	b := withKey(rev("7.3", "2026-03", 2), "admin", "same")
	c := withKey(rev("7.3", "2026-03", 3), "fgw\u200b", "same")
	checkReceipts(t, h.append(a), receipt("7.3", "2026-03", 1))
	checkReceipts(t, h.append(b), receipt("7.3", "2026-03", 2))
	checkReceipts(t, h.append(c), receipt("7.3", "2026-03", 3))
	checkReceipts(t, h.append(b, a), replayed("7.3", "2026-03", 2), replayed("7.3", "2026-03", 1))
	if n := len(h.history("7.3")); n != 3 {
		t.Errorf("History has %d revisions, want 3", n)
	}
}

func testNoKey(t *testing.T, h *harness) {
	r := rev("7.4", "2026-03", 1)
	checkReceipts(t, h.append(r, r), receipt("7.4", "2026-03", 1), receipt("7.4", "2026-03", 2))
	checkReceipts(t, h.append(r), receipt("7.4", "2026-03", 3))
}

func testCanceled(t *testing.T, h *harness) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	batch := []indicators.Revision{rev("8.1", "2026-01", 1), rev("8.2", "2026-01", 2), withKey(rev("8.3", "2026-01", 3), "fgw", "c")}
	rcs, err := h.s.Append(ctx, batch)
	n := len(h.latest())
	switch {
	case err != nil && n != 0:
		t.Errorf("Append failed (%v) but %d of %d reports were stored", err, n, len(batch))
	case err == nil && n != len(batch):
		t.Errorf("Append succeeded (%+v) but %d of %d reports were stored", rcs, n, len(batch))
	case err != nil:
		t.Logf("canceled before the call: refused with %v, nothing stored", err)
	default:
		t.Logf("canceled before the call: stored whole")
	}
	// The key is usable (err) or replays (stored).
	rc := h.append(batch[2])[0]
	if rc.Replayed != (err == nil) {
		t.Errorf("after the canceled batch (err %v) the key gives %+v", err, rc)
	}
}

// batchTag names element k of batch id in notes: "b<id>/<k>".
func batchTag(id, k int) string { return fmt.Sprintf("b%d/%d", id, k) }

func parseTag(note string) (id, k int, ok bool) {
	_, err := fmt.Sscanf(note, "b%d/%d", &id, &k)
	return id, k, err == nil
}

// checkContiguous fails unless, per period, the revisions are exactly 1..N.
func checkContiguous(t *testing.T, hist []indicators.Revision) {
	t.Helper()
	per := map[string][]int{}
	for _, r := range hist {
		per[r.Period] = append(per[r.Period], r.Revision)
	}
	for p, revs := range per {
		slices.Sort(revs)
		for i, r := range revs {
			if r != i+1 {
				t.Errorf("period %s: revisions %v are not 1..%d", p, revs, len(revs))
				break
			}
		}
	}
}

func testRandomCancel(t *testing.T, h *harness) {
	const size = 4
	periods := [size]string{"2026-01", "2026-02", "2026-03", "2026-04"}
	var (
		mu    sync.Mutex
		acked = map[int][]indicators.Receipt{}
		wg    sync.WaitGroup
	)
	for g := range h.cfg.Goroutines {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 7))
			for a := range h.cfg.AppendsPerGoroutine {
				id := g*h.cfg.AppendsPerGoroutine + a
				batch := make([]indicators.Revision, size)
				for k := range batch {
					batch[k] = withNote(rev("x.1", periods[k], float64(id)), batchTag(id, k))
				}
				ctx, cancel := context.WithCancel(context.Background())
				switch rnd.IntN(3) {
				case 0: // not canceled
				case 1:
					cancel()
				default:
					time.AfterFunc(time.Duration(rnd.IntN(300))*time.Microsecond, cancel)
				}
				rcs, err := h.s.Append(ctx, batch)
				cancel()
				if err == nil {
					mu.Lock()
					acked[id] = rcs
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	hist := h.history("x.1")
	stored := map[int]map[int]indicators.Revision{}
	for _, r := range hist {
		id, k, ok := parseTag(r.Note)
		if !ok {
			t.Fatalf("unexpected note %q", r.Note)
		}
		if stored[id] == nil {
			stored[id] = map[int]indicators.Revision{}
		}
		stored[id][k] = r
	}
	for id, els := range stored {
		if len(els) != size {
			t.Errorf("batch %d is half-applied: %d of %d elements stored", id, len(els), size)
		}
	}
	for id, rcs := range acked {
		for k, rc := range rcs {
			r, ok := stored[id][k]
			if !ok {
				t.Errorf("acknowledged element %s (receipt %+v) is missing", batchTag(id, k), rc)
				continue
			}
			if r.Revision != rc.Revision || r.Period != rc.Period {
				t.Errorf("element %s stored as %s#%d, receipt said %+v", batchTag(id, k), r.Period, r.Revision, rc)
			}
		}
	}
	checkContiguous(t, hist)
	t.Logf("%d batches acknowledged, %d stored, of %d", len(acked), len(stored), h.cfg.Goroutines*h.cfg.AppendsPerGoroutine)
}

func testConcurrent(t *testing.T, h *harness) {
	keys := []struct{ ind, period string }{{"c.1", "2026-01"}, {"c.1", "2026-02"}, {"c.2", "2026-01"}, {"c.2", "2026-Q1"}}
	type sent struct {
		id, k  int
		ind    string
		period string
	}
	var (
		mu     sync.Mutex
		got    = map[string]indicators.Receipt{} // tag → receipt
		origin = map[string]sent{}
		wg     sync.WaitGroup
		fail   atomic.Value
	)
	for g := range h.cfg.Goroutines {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 11))
			for a := range h.cfg.AppendsPerGoroutine {
				id := g*h.cfg.AppendsPerGoroutine + a
				batch := make([]indicators.Revision, 1+rnd.IntN(3))
				for k := range batch {
					key := keys[rnd.IntN(len(keys))]
					batch[k] = withNote(rev(key.ind, key.period, float64(id)), batchTag(id, k))
				}
				rcs, err := h.s.Append(context.Background(), batch)
				if err != nil {
					fail.Store(err)
					return
				}
				mu.Lock()
				for k, rc := range rcs {
					got[batchTag(id, k)] = rc
					origin[batchTag(id, k)] = sent{id, k, batch[k].Indicator, batch[k].Period}
				}
				mu.Unlock()
				// Within one batch, elements of the same key get consecutive numbers:
				// no other batch interleaves.
				last := map[string]int{}
				for k, rc := range rcs {
					kk := batch[k].Indicator + " " + batch[k].Period
					if prev, ok := last[kk]; ok && rc.Revision != prev+1 {
						t.Errorf("batch %d: %s got revision %d after %d in the same batch", id, kk, rc.Revision, prev)
					}
					last[kk] = rc.Revision
				}
			}
		})
	}
	wg.Wait()
	if err, _ := fail.Load().(error); err != nil {
		t.Fatalf("Append: %v", err)
	}
	counts := map[string][]int{}
	for tag, rc := range got {
		s := origin[tag]
		if rc.Indicator != s.ind || rc.Period != s.period || rc.Replayed {
			t.Errorf("%s: receipt %+v for %s %s", tag, rc, s.ind, s.period)
		}
		counts[s.ind+" "+s.period] = append(counts[s.ind+" "+s.period], rc.Revision)
	}
	for k, revs := range counts {
		slices.Sort(revs)
		for i, r := range revs {
			if r != i+1 {
				t.Errorf("%s: receipts %v are not 1..%d", k, revs, len(revs))
				break
			}
		}
	}
	stored := 0
	for _, ind := range []string{"c.1", "c.2"} {
		hist := h.history(ind)
		checkContiguous(t, hist)
		for _, r := range hist {
			stored++
			tag := r.Note
			rc, ok := got[tag]
			if !ok {
				t.Errorf("stored %s was never acknowledged", tag)
				continue
			}
			if r.Revision != rc.Revision || r.Period != rc.Period {
				t.Errorf("%s stored as %s#%d, receipt %+v", tag, r.Period, r.Revision, rc)
			}
		}
	}
	if stored != len(got) {
		t.Errorf("stored %d revisions, acknowledged %d", stored, len(got))
	}
	latest := h.latestOf()
	for k, revs := range counts {
		if l := latest[k]; l.Revision != len(revs) {
			t.Errorf("Latest %s is revision %d, want %d", k, l.Revision, len(revs))
		}
	}
}

func testLargeBatch(t *testing.T, h *harness) {
	batch := make([]indicators.Revision, 1000)
	for i := range batch {
		batch[i] = withNote(rev(fmt.Sprintf("L.%d", i%100), fmt.Sprintf("2026-%02d", 1+i/100%12), float64(i)), batchTag(0, i))
	}
	rcs := h.append(batch...)
	for i, rc := range rcs {
		if rc.Indicator != batch[i].Indicator || rc.Period != batch[i].Period || rc.Revision != 1 {
			t.Fatalf("receipt %d = %+v for %s %s", i, rc, batch[i].Indicator, batch[i].Period)
		}
	}
	if n := len(h.latest()); n != 1000 {
		t.Errorf("Latest has %d values, want 1000", n)
	}
	if n := len(h.history("L.7")); n != 10 {
		t.Errorf("History(L.7) has %d revisions, want 10", n)
	}
}

func testOwnership(t *testing.T, h *harness) {
	batch := []indicators.Revision{rev("O.1", "2026-03", 1)}
	h.append(batch...)
	*batch[0].Value = 42
	batch[0].Note = "changed after the call"
	latest := h.latest()
	if len(latest) != 1 || *latest[0].Value != 1 || latest[0].Note != "" {
		t.Fatalf("the store kept the caller's batch: %+v", latest)
	}
	*latest[0].Value = 7
	latest[0].Note = "changed by the reader"
	hist := h.history("O.1")
	hist[0].Note = "changed by the reader"
	again := h.latest()
	if *again[0].Value != 1 || again[0].Note != "" || h.history("O.1")[0].Note != "" {
		t.Errorf("the store shares its results with callers: %+v", again)
	}
}

func testAfterClose(t *testing.T, h *harness) {
	h.close()
	if _, err := h.s.Append(context.Background(), []indicators.Revision{rev("Z.1", "2026-03", 1)}); err == nil {
		t.Error("Append after Close succeeded")
	}
}

func testReopen(t *testing.T, h *harness) {
	before := []indicators.Revision{
		withKey(rev("R.1", "2026-01", 1), "fgw", "r-1"),
		rev("R.1", "2026-01", 2),
		rev("R.2", "2026-Q1", 3),
	}
	before[2].Stage, before[2].Value, before[2].Percent = indicators.StageBlocked, nil, ptr(12.5)
	h.append(before...)
	wantHist := h.history("R.1")
	wantLatest := h.latestOf()
	h.reopen()
	gotHist := h.history("R.1")
	if len(gotHist) != len(wantHist) {
		t.Fatalf("History after reopen has %d revisions, want %d", len(gotHist), len(wantHist))
	}
	for i := range wantHist {
		checkSame(t, "History after reopen", wantHist[i], gotHist[i])
	}
	gotLatest := h.latestOf()
	if len(gotLatest) != len(wantLatest) {
		t.Errorf("Latest after reopen has %d values, want %d", len(gotLatest), len(wantLatest))
	}
	for k, w := range wantLatest {
		checkSame(t, "Latest after reopen", w, gotLatest[k])
	}
	checkReceipts(t, h.append(before[0], rev("R.1", "2026-01", 4)),
		replayed("R.1", "2026-01", 1), receipt("R.1", "2026-01", 3))
}

func testCloseInFlight(t *testing.T, h *harness) {
	if h.cfg.Reopen == nil {
		t.Skip("backend has no Reopen hook")
	}
	var (
		mu    sync.Mutex
		acked = map[string]indicators.Receipt{}
		count atomic.Int64
		wg    sync.WaitGroup
	)
	s := h.s
	for g := range h.cfg.Goroutines {
		wg.Go(func() {
			for a := 0; ; a++ {
				id := g*1_000_000 + a
				batch := []indicators.Revision{
					withNote(rev("W.1", "2026-01", float64(id)), batchTag(id, 0)),
					withNote(rev("W.1", "2026-02", float64(id)), batchTag(id, 1)),
				}
				rcs, err := s.Append(context.Background(), batch)
				if err != nil {
					return // closed
				}
				mu.Lock()
				for k, rc := range rcs {
					acked[batchTag(id, k)] = rc
				}
				mu.Unlock()
				count.Add(1)
			}
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for count.Load() < int64(4*h.cfg.Goroutines) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	h.close() // while the goroutines still append
	wg.Wait()
	h.reopen()
	hist := h.history("W.1")
	byTag := map[string]indicators.Revision{}
	for _, r := range hist {
		byTag[r.Note] = r
	}
	for tag, rc := range acked {
		r, ok := byTag[tag]
		if !ok {
			t.Errorf("acknowledged %s (%+v) lost across Close", tag, rc)
			continue
		}
		if r.Revision != rc.Revision {
			t.Errorf("%s stored as revision %d, receipt said %d", tag, r.Revision, rc.Revision)
		}
	}
	for tag := range byTag {
		id, k, _ := parseTag(tag)
		if _, ok := byTag[batchTag(id, 1-k)]; !ok {
			t.Errorf("batch %d is half-applied", id)
		}
	}
	checkContiguous(t, hist)
	t.Logf("%d revisions acknowledged before Close", len(acked))
}
