package evaluate_test

import (
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

func TestAllOnTheMiniCatalog(t *testing.T) {
	cat := loadMini(t)
	series := map[string][]indicators.Revision{
		"4.1":  {rev("2026-Q1", 5.8, "2026-04-08 10:00")},
		"56.1": {rev("2026-Q1", 5.2, "2026-04-09 10:00")},
		"57.1": {rev("2026-01", 3000, "2026-02-05 10:00"), rev("2026-02", 6500, "2026-03-05 10:00"), rev("2026-03", 10000, "2026-04-05 10:00")},
		"69.1": {rev("2026-03", 33, "2026-04-05 10:00")},
		"9.1":  {stage("2026-03", indicators.StagePlanned, 40, "2026-04-05 10:00")},
	}
	now := at("2026-04-15 12:00")
	got := evaluate.All(evaluate.Config{}, cat, func(id string) []indicators.Revision { return series[id] }, now)
	if len(got) != len(cat.TargetIDs()) {
		t.Fatalf("results = %d, want %d", len(got), len(cat.TargetIDs()))
	}
	want := map[string]struct {
		status     evaluate.Status
		department string
		overdue    bool
	}{
		"4.1":  {evaluate.OnTrack, "fgw", false},
		"9.1":  {evaluate.Lagging, "fgw", false}, // 40 % against 49.7 % of the time to June 30
		"11.1": {evaluate.NoData, "fgw", true},
		"56.1": {evaluate.AtRisk, "rsj", false}, // 5.2 against GDP's 5.8: within a point
		"57.1": {evaluate.AtRisk, "rsj", false}, // 603 behind, within 5 points of 43000
		"69.1": {evaluate.Lagging, "sthjj", false},
		"69.2": {evaluate.NoData, "sthjj", true},
		"99.1": {evaluate.NoData, "slj", true},
	}
	for i, id := range cat.TargetIDs() {
		r := got[i]
		if r.Indicator != id {
			t.Fatalf("result %d is %s, want %s (catalog order)", i, r.Indicator, id)
		}
		w := want[id]
		if r.Status != w.status || r.Department != w.department || r.ReportOverdue != w.overdue {
			t.Errorf("%s: status %s dept %s overdue %v, want %s %s %v (%+v)", id, r.Status, r.Department, r.ReportOverdue, w.status, w.department, w.overdue, r)
		}
	}
	// the relative target follows GDP's value of the same quarter
	if r := got[3]; r.Indicator != "56.1" || r.Target != 5.8 || !near(r.Gap, -0.6) {
		t.Errorf("56.1 target %v gap %v, want 5.8 and -0.6", r.Target, r.Gap)
	}
}

func TestAllRelativeReferences(t *testing.T) {
	growth := func(id, ref string) indicators.Target {
		tg := indicators.Target{ID: id, Measure: indicators.GrowthRate, Comparator: indicators.GE, Value: 6, Due: "2026-12-31"}
		if ref != "" {
			tg.Relative = &indicators.Relative{Indicator: ref, Comparator: indicators.GE}
		}
		return tg
	}
	cases := map[string]struct {
		targets []indicators.Target
		want    map[string]evaluate.Status
		target  map[string]float64
	}{
		"a reference later in the catalog is evaluated first": {
			targets: []indicators.Target{growth("56.1", "4.1"), growth("4.1", "")},
			want:    map[string]evaluate.Status{"56.1": evaluate.OnTrack, "4.1": evaluate.AtRisk},
			target:  map[string]float64{"56.1": 5.8},
		},
		"a chain of relative targets compares each with its reference's reported value": {
			targets: []indicators.Target{growth("a", "b"), growth("b", "4.1"), growth("4.1", "")},
			want:    map[string]evaluate.Status{"a": evaluate.OnTrack, "b": evaluate.OnTrack},
			target:  map[string]float64{"a": 6.0, "b": 5.8},
		},
		"an unknown reference gives no data": {
			targets: []indicators.Target{growth("56.1", "nope")},
			want:    map[string]evaluate.Status{"56.1": evaluate.NoData},
		},
		"a circular reference compares the reported values without looping": {
			targets: []indicators.Target{growth("a", "b"), growth("b", "a")},
			want:    map[string]evaluate.Status{"a": evaluate.OnTrack, "b": evaluate.AtRisk},
			target:  map[string]float64{"a": 6.0, "b": 6.1},
		},
	}
	values := map[string]float64{"4.1": 5.8, "56.1": 6.0, "a": 6.1, "b": 6.0}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cat := &indicators.Catalog{Plan: plan}
			for i, tg := range c.targets {
				cat.Tasks = append(cat.Tasks, indicators.Task{Num: i + 1, Lead: "fgw", Targets: []indicators.Target{tg}})
			}
			cat.Build()
			got := evaluate.All(evaluate.Config{}, cat, func(id string) []indicators.Revision {
				return []indicators.Revision{rev("2026-03", values[id], "2026-04-05 09:00")}
			}, at("2026-04-15 12:00"))
			for i, r := range got {
				if r.Indicator != c.targets[i].ID {
					t.Fatalf("result %d is %s, want catalog order", i, r.Indicator)
				}
				if w, ok := c.want[r.Indicator]; ok && r.Status != w {
					t.Errorf("%s: status %s, want %s (%+v)", r.Indicator, r.Status, w, r)
				}
				if w, ok := c.target[r.Indicator]; ok && !near(r.Target, w) {
					t.Errorf("%s: target %v, want %v", r.Indicator, r.Target, w)
				}
			}
		})
	}
}

func TestAppendAllReusesAndMatchesAll(t *testing.T) {
	cat := loadMini(t)
	series := map[string][]indicators.Revision{
		"4.1":  {rev("2026-Q1", 5.8, "2026-04-08 10:00")},
		"56.1": {rev("2026-Q1", 5.2, "2026-04-09 10:00")},
		"57.1": {rev("2026-03", 10000, "2026-04-05 10:00")},
	}
	fn := func(id string) []indicators.Revision { return series[id] }
	now := at("2026-04-15 12:00")
	want := evaluate.All(evaluate.Config{}, cat, fn, now)
	// a buffer full of other results: nothing of them may leak into the new ones
	buf := evaluate.All(evaluate.Config{}, cat, func(string) []indicators.Revision {
		return []indicators.Revision{rev("2026-06", 1, "2026-07-01 10:00"), stage("2026-06", indicators.StageStarted, 50, "2026-07-01 10:00")}
	}, at("2026-07-15 12:00"))
	got := evaluate.AppendAll(buf[:0], evaluate.Config{}, cat, fn, now)
	if len(got) != len(want) {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	prefixed := evaluate.AppendAll([]evaluate.Result{{Indicator: "x"}}, evaluate.Config{}, cat, fn, now)
	if len(prefixed) != len(want)+1 || prefixed[0].Indicator != "x" || prefixed[1] != want[0] {
		t.Errorf("appending after an element: len %d, first %q", len(prefixed), prefixed[0].Indicator)
	}
}
