package indicators_test

import (
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators"
)

const overlayBase = `plan: {id: t-2026, title: 测试, year: 2026}
departments:
  - {id: fgw, name: 市发改委}
  - {id: tjj, name: 市统计局}
tasks:
  - num: 4
    lead: fgw
    text: 地区生产总值增长6%左右。
    targets:
      - {id: "4.1", metric: 地区生产总值增速, measure: growth_rate, comparator: approx, tolerance: 0.5, value: 6, unit: "%", due: "2026-12-31"}
      - {id: "4.2", metric: 多余, measure: level, value: 1, unit: "%", due: "2026-12-31"}
`

func TestApplyOverlay(t *testing.T) {
	cases := map[string]struct {
		overlay string
		check   func(t *testing.T, c *indicators.Catalog)
		wantErr string
	}{
		"a target field is replaced and the others kept": {
			overlay: `targets: {"4.1": {metric: GDP增速, trajectory: {kind: linear}}}`,
			check: func(t *testing.T, c *indicators.Catalog) {
				e, _ := c.Lookup("4.1")
				if e.Target.Metric != "GDP增速" || e.Target.Value != 6 || e.Target.Tolerance != 0.5 || e.Target.Trajectory == nil {
					t.Fatalf("4.1 = %+v", e.Target)
				}
			},
		},
		"a removed target is gone": {
			overlay: `remove: ["4.2"]`,
			check: func(t *testing.T, c *indicators.Catalog) {
				if _, ok := c.Lookup("4.2"); ok || len(c.TargetIDs()) != 1 {
					t.Fatalf("targets = %v", c.TargetIDs())
				}
			},
		},
		"an added target is found by id": {
			overlay: `add: [{task: 4, target: {id: "4.3", metric: 新, measure: cumulative, value: 3, unit: 个, due: "2026-06-30"}}]`,
			check: func(t *testing.T, c *indicators.Catalog) {
				if e, ok := c.Lookup("4.3"); !ok || e.Task.Num != 4 || e.Department.ID != "fgw" {
					t.Fatalf("4.3 = %+v %v", e, ok)
				}
			},
		},
		"a task's cooperating units are replaced and its targets kept": {
			overlay: `tasks: {"4": {cooperating: [tjj]}}`,
			check: func(t *testing.T, c *indicators.Catalog) {
				if c.Tasks[0].Cooperating[0] != "tjj" || len(c.Tasks[0].Targets) != 2 {
					t.Fatalf("task = %+v", c.Tasks[0])
				}
			},
		},
		"a department is renamed and another added": {
			overlay: `departments: [{id: fgw, name: 市发展和改革委员会}, {id: gxqzf, name: 各县区政府}]`,
			check: func(t *testing.T, c *indicators.Catalog) {
				d, _ := c.Department("fgw")
				if _, ok := c.Department("gxqzf"); d.Name != "市发展和改革委员会" || !ok {
					t.Fatalf("departments = %+v", c.Departments)
				}
			},
		},
		"the plan title is corrected": {
			overlay: `plan: {title: 新标题}`,
			check: func(t *testing.T, c *indicators.Catalog) {
				if c.Plan.Title != "新标题" || c.Plan.ID != "t-2026" {
					t.Fatalf("plan = %+v", c.Plan)
				}
			},
		},
		"a correction of an unknown target is an error": {overlay: `targets: {"9.9": {metric: x}}`, wantErr: `overlay target "9.9": no such target`},
		"removing an unknown target is an error":        {overlay: `remove: ["9.9"]`, wantErr: `no such target`},
		"adding a taken id is an error":                 {overlay: `add: [{task: 4, target: {id: "4.1"}}]`, wantErr: "the id is taken"},
		"adding to an unknown task is an error":         {overlay: `add: [{task: 5, target: {id: "5.1"}}]`, wantErr: "no task 5"},
		"a correction cannot change the id":             {overlay: `targets: {"4.1": {id: "4.9"}}`, wantErr: "the id cannot change"},
		"an unknown field in a correction is an error":  {overlay: `targets: {"4.1": {metrc: x}}`, wantErr: "field metrc not found"},
		"an unknown top-level field is an error":        {overlay: `target: {}`, wantErr: "field target not found"},
		"a correction of an unknown task is an error":   {overlay: `tasks: {"7": {lead: tjj}}`, wantErr: `overlay task "7": no such task`},
		"a department without a name is an error":       {overlay: `departments: [{id: x}]`, wantErr: "id and name are required"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := indicators.Decode(strings.NewReader(overlayBase))
			if err != nil {
				t.Fatal(err)
			}
			o, err := indicators.DecodeOverlay(strings.NewReader(tc.overlay))
			if err == nil {
				err = c.ApplyOverlay(o)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
