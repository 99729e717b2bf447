package indicators_test

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
)

func TestTheCurrentPlan(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	plan := func(id string, year int) indicators.Plan {
		return indicators.Plan{ID: id, Year: year, TimeZone: "Asia/Shanghai"}
	}
	lists := map[string][]indicators.Plan{
		"2026 list, 民生实事 2026, 2027 list": {plan("a-2026", 2026), plan("m-2026", 2026), plan("a-2027", 2027)},
		"2027 list first, then 2026":      {plan("a-2027", 2027), plan("a-2026", 2026)},
	}
	for name, tc := range map[string]struct {
		plans string
		now   time.Time
		want  string
	}{
		"the first listed of the year":                  {"2026 list, 民生实事 2026, 2027 list", time.Date(2026, 5, 1, 9, 0, 0, 0, cst), "a-2026"},
		"the year's plan wherever it is listed":         {"2026 list, 民生实事 2026, 2027 list", time.Date(2027, 2, 1, 9, 0, 0, 0, cst), "a-2027"},
		"New Year in the plan's zone, Dec 31 in UTC":    {"2026 list, 民生实事 2026, 2027 list", time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), "a-2027"},
		"no plan of the year: the latest past year's":   {"2027 list first, then 2026", time.Date(2029, 1, 5, 9, 0, 0, 0, cst), "a-2027"},
		"the latest past year's, not the first listed":  {"2026 list, 民生实事 2026, 2027 list", time.Date(2028, 1, 5, 9, 0, 0, 0, cst), "a-2027"},
		"before every plan's year: the first (default)": {"2027 list first, then 2026", time.Date(2025, 6, 1, 9, 0, 0, 0, cst), "a-2027"},
		"before every plan's year, 2026 listed first":   {"2026 list, 民生实事 2026, 2027 list", time.Date(2025, 6, 1, 9, 0, 0, 0, cst), "a-2026"},
	} {
		t.Run(name, func(t *testing.T) {
			plans := lists[tc.plans]
			if got := plans[indicators.CurrentOf(tc.now, plans)].ID; got != tc.want {
				t.Errorf("CurrentOf(%s) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
}
