package collector_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

func newService(t *testing.T) (*collector.Service, *boltstore.Store) {
	t.Helper()
	cat, err := indicators.Load(filepath.Join(testenv.RepoRoot(), "indicators/testdata/mini.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st := testenv.Store(t)
	svc, err := collector.NewService(context.Background(), collector.ServiceConfig{
		Catalog: cat, Store: st,
		Now: func() time.Time { return time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// TestReadyIsTheStores: readiness is part of the Store contract; the service says what
// its store says.
func TestReadyIsTheStores(t *testing.T) {
	svc, st := newService(t)
	if ok, detail := svc.Ready(t.Context()); !ok || !strings.HasPrefix(detail, "ok") {
		t.Fatalf("Ready = %v %q with the store open", ok, detail)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, detail := svc.Ready(t.Context()); ok || detail != "store closed" {
		t.Fatalf("Ready = %v %q after the store closed", ok, detail)
	}
}

// TestACatalogWithoutAPlanYearIsRefused: the service never guesses the year.
func TestACatalogWithoutAPlanYearIsRefused(t *testing.T) {
	st := testenv.Store(t)
	cat := &indicators.Catalog{Plan: indicators.Plan{ID: "no-year"}}
	if _, err := collector.NewService(t.Context(), collector.ServiceConfig{Catalog: cat, Store: st}); err == nil || !strings.Contains(err.Error(), "no plan year") {
		t.Fatalf("NewService = %v, want a refusal naming the missing year", err)
	}
}

func TestSubmitReturnsTypedInputErrors(t *testing.T) {
	svc, _ := newService(t)
	v := 5.0
	_, err := svc.Submit(context.Background(), collector.Principal{Department: "rsj"},
		[]indicators.Report{{Indicator: "57.1", Period: "2026-05", Value: &v}, {Indicator: "4.1", Period: "2026-Q1", Value: &v}}, "")
	var ie *collector.InputError
	if !errors.As(err, &ie) || ie.Code != collector.CodeForbiddenIndicator || ie.Index != 1 || ie.Kind != collector.KindForbidden {
		t.Fatalf("err %v: want a 403 forbidden_indicator InputError at index 1", err)
	}
	if len(svc.Series("57.1")) != 0 {
		t.Fatal("a report of a rejected batch reached the snapshot")
	}
	rc, err := svc.Submit(context.Background(), collector.Principal{Department: "rsj"},
		[]indicators.Report{{Indicator: "57.1", Period: "2026-05", Value: &v}}, "10.0.0.1")
	if err != nil || len(rc) != 1 || rc[0].Revision != 1 {
		t.Fatalf("Submit = %+v, %v", rc, err)
	}
	if s := svc.Series("57.1"); len(s) != 1 || s[0].Remote != "10.0.0.1" || s[0].Revision != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestSubmitMergesABatchIntoTheSnapshot(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	rsj := collector.Principal{Department: "rsj"}
	val := func(v float64) *float64 { return &v }
	if _, err := svc.Submit(ctx, rsj, []indicators.Report{{Indicator: "57.1", Period: "2026-02", Value: val(2)}}, ""); err != nil {
		t.Fatal(err)
	}
	before := svc.Series("57.1")
	// One batch: periods out of order, one period twice, another indicator between.
	batch := []indicators.Report{
		{Indicator: "57.1", Period: "2026-04", Value: val(40)},
		{Indicator: "57.1", Period: "2026-01", Value: val(10)},
		{Indicator: "56.1", Period: "2026-Q1", Value: val(6)},
		{Indicator: "57.1", Period: "2026-04", Value: val(41)},
		{Indicator: "57.1", Period: "2026-02", Value: val(21)},
	}
	if _, err := svc.Submit(ctx, rsj, batch, ""); err != nil {
		t.Fatal(err)
	}
	type pv struct {
		period string
		value  float64
		rev    int
	}
	var got []pv
	for _, r := range svc.Series("57.1") {
		got = append(got, pv{r.Period, *r.Value, r.Revision})
	}
	want := []pv{{"2026-01", 10, 1}, {"2026-02", 21, 2}, {"2026-04", 41, 2}}
	if len(got) != len(want) {
		t.Fatalf("series %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("series %+v, want %+v", got, want)
		}
	}
	if len(before) != 1 || *before[0].Value != 2 || before[0].Revision != 1 {
		t.Fatalf("a series read before the batch changed under its reader: %+v", before)
	}
	if s := svc.Series("56.1"); len(s) != 1 || *s[0].Value != 6 {
		t.Fatalf("56.1 series %+v", s)
	}
}

// TestSubmitRejectsACompletedStageBelow100Percent: completed implies 100 %, so a report
// saying completed at 50 % contradicts itself and is refused (nothing stored), while
// completed at 100 % or without a percent, and started at 50 %, are accepted.
func TestSubmitRejectsACompletedStageBelow100Percent(t *testing.T) {
	pct := func(v float64) *float64 { return &v }
	cases := map[string]struct {
		stage   indicators.Stage
		percent *float64
		code    string // "" when accepted
	}{
		"completed at 50 % is refused":        {indicators.StageCompleted, pct(50), collector.CodeInvalidPercent},
		"completed at 99.9 % is refused":      {indicators.StageCompleted, pct(99.9), collector.CodeInvalidPercent},
		"completed at 100 % is accepted":      {indicators.StageCompleted, pct(100), ""},
		"completed without a percent is fine": {indicators.StageCompleted, nil, ""},
		"started at 50 % is accepted":         {indicators.StageStarted, pct(50), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			svc, _ := newService(t)
			_, err := svc.Submit(context.Background(), collector.Principal{Department: "slj"},
				[]indicators.Report{{Indicator: "99.1", Period: "2026-05", Stage: c.stage, Percent: c.percent}}, "")
			var ie *collector.InputError
			switch {
			case c.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.code != "" && (!errors.As(err, &ie) || ie.Code != c.code || ie.Field != "percent" || ie.Kind != collector.KindInvalid):
				t.Fatalf("err %v, want a 400 %s on percent", err, c.code)
			case c.code != "" && len(svc.Series("99.1")) != 0:
				t.Fatal("a refused report reached the snapshot")
			}
		})
	}
}

// TestCheckNamesEveryBadReportAndStoresNothing: Check gives each report Submit's own
// verdict, for all of them at once, and leaves the store and the counters alone.
func TestCheckNamesEveryBadReportAndStoresNothing(t *testing.T) {
	svc, st := newService(t)
	f := func(v float64) *float64 { return &v }
	rsj := collector.Principal{Department: "rsj"}
	reports := []indicators.Report{
		{Indicator: "57.1", Period: "2026-05", Value: f(-3)},     // negative year-to-date sum
		{Indicator: "57.1", Period: "2026-04", Value: f(9000)},   // fine
		{Indicator: "11.1", Period: "2026-05", Value: f(1)},      // fgw's
		{Indicator: "56.1", Period: "2026-04", Value: f(6)},      // quarterly, April is no quarter
		{Indicator: "57.1", Period: "2026-03", Stage: "started"}, // a stage on a number
	}
	got := svc.Check(rsj, reports)
	want := []string{collector.CodeNegativeValue, "", collector.CodeForbiddenIndicator, collector.CodePeriodNotInCadence, collector.CodeStageOnNumeric}
	if len(got) != len(want) {
		t.Fatalf("%d results for %d reports", len(got), len(reports))
	}
	for i, w := range want {
		switch {
		case w == "" && got[i] != nil:
			t.Errorf("report %d: %v, want it to pass", i, got[i])
		case w != "" && (got[i] == nil || got[i].Code != w || got[i].Index != i):
			t.Errorf("report %d: %v, want %s at index %d", i, got[i], w, i)
		}
	}
	if _, err := svc.Submit(t.Context(), rsj, reports, ""); err == nil {
		t.Fatal("Submit accepted the batch Check refused")
	}
	if h, err := st.History(t.Context(), svc.Catalog().Plan.ID, "57.1"); err != nil || len(h) != 0 {
		t.Fatalf("history after Check and a refused Submit: %v %v", h, err)
	}
	for _, c := range svc.ReceivedCounts() {
		if c.Department == "rsj" && c.Result == "rejected" && c.Count != uint64(len(reports)) {
			t.Errorf("rejected count %d: Check must not count, Submit counts the batch once", c.Count)
		}
	}
}
