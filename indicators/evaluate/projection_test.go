package evaluate_test

import (
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
)

func TestProjection(t *testing.T) {
	cases := map[string]struct {
		target indicators.Target
		series []indicators.Revision
		want   *float64 // nil: no projection
		miss   bool
	}{
		"a linear cumulative target projects its value over the elapsed share of the year": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 10000, "2026-04-05 09:00")},
			want: f(10000 / q1Share), miss: true,
		},
		"a cumulative target on pace projects no miss": {
			target: jobs, series: []indicators.Revision{rev("2026-03", 11000, "2026-04-05 09:00")},
			want: f(11000 / q1Share),
		},
		"a profiled cumulative target projects over the profile's share": {
			target: infra, series: []indicators.Revision{rev("2026-03", 6.5e9, "2026-04-05 09:00")},
			want: f(6.5e9 / 0.18), miss: false,
		},
		"a cap projected over its ceiling is a projected miss": {
			target: energy, series: []indicators.Revision{rev("2026-03", 300, "2026-04-05 09:00")},
			want: f(300 / q1Share), miss: true,
		},
		"a growth rate projects its latest value": {
			target: retail, series: []indicators.Revision{rev("2026-02", 5, "2026-03-05 09:00"), rev("2026-03", 6.5, "2026-04-05 09:00")},
			want: f(6.5),
		},
		"a level le target projects its latest value": {
			target: pm25, series: []indicators.Revision{rev("2026-03", 33, "2026-04-05 09:00")},
			want: f(33), miss: true,
		},
		"a milestone has no projection": {
			target: railway, series: []indicators.Revision{stage("2026-03", indicators.StageStarted, 30, "2026-04-05 09:00")},
		},
		"no data means no projection": {
			target: jobs,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := evaluate.Evaluate(evaluate.Config{}, plan, c.target, c.series, nil, at("2026-04-15 12:00"))
			if r.HasProjection != (c.want != nil) {
				t.Fatalf("HasProjection = %v, want %v", r.HasProjection, c.want != nil)
			}
			if c.want == nil {
				return
			}
			if !near(r.Projected, *c.want) {
				t.Errorf("projected = %v, want %v", r.Projected, *c.want)
			}
			if r.ProjectedMiss != c.miss {
				t.Errorf("projected miss = %v, want %v", r.ProjectedMiss, c.miss)
			}
		})
	}
}
