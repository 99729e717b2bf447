package api_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestTokenMatrix pushes every indicator with every department token and the admin
// token: each department writes exactly the indicators it leads (201), every other one
// answers 403 forbidden_indicator, the admin writes all; the store holds exactly the
// accepted reports, with the right sender.
func TestTokenMatrix(t *testing.T) {
	catalogs := map[string]string{
		"the mini test catalog":    "indicators/testdata/mini.yaml",
		"the shipped 2026 catalog": "indicators/catalogs/changzhi-2026.yaml",
	}
	for name, rel := range catalogs {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(testenv.RepoRoot(), rel)); err != nil {
				t.Skipf("%s not generated yet", rel)
			}
			cat := loadCatalog(t, rel)
			f := newFixtureCatalog(t, cat)
			for _, d := range cat.Departments {
				for _, e := range cat.Entries() {
					resp, ans := f.push(f.tokens[d.ID], reportFor(e.Target, ""))
					own := e.Task.Lead == d.ID
					switch {
					case own && resp.StatusCode != http.StatusCreated:
						t.Fatalf("%s pushing its own %s: %d %+v", d.ID, e.Target.ID, resp.StatusCode, ans.Error)
					case !own && (resp.StatusCode != http.StatusForbidden || ans.Error == nil || ans.Error.Code != "forbidden_indicator"):
						t.Fatalf("%s pushing %s led by %s: %d %+v, want 403 forbidden_indicator", d.ID, e.Target.ID, e.Task.Lead, resp.StatusCode, ans.Error)
					}
				}
			}
			for _, e := range cat.Entries() {
				if resp, ans := f.push(f.admin, reportFor(e.Target, "督查室复核")); resp.StatusCode != http.StatusCreated {
					t.Fatalf("admin pushing %s: %d %+v", e.Target.ID, resp.StatusCode, ans.Error)
				}
			}
			for _, e := range cat.Entries() {
				h, err := f.store.History(t.Context(), f.cat.Plan.ID, e.Target.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(h) != 2 || h[0].Sender != e.Task.Lead || h[1].Sender != "admin" || h[1].Department != e.Task.Lead {
					t.Fatalf("%s: history %+v, want one revision by %s then one by admin", e.Target.ID, h, e.Task.Lead)
				}
			}
		})
	}
}

// reportFor is a valid report for t in May 2026 (the first quarter for a quarterly one).
func reportFor(t *indicators.Target, reason string) map[string]any {
	r := map[string]any{"indicator": t.ID, "period": "2026-05"}
	if t.Cadence == indicators.Quarterly {
		r["period"] = "2026-Q1"
	}
	if t.Measure == indicators.Milestone {
		r["stage"] = "started"
		r["percent"] = 40
	} else {
		r["value"] = 1
	}
	if reason != "" {
		r["reason"] = reason
	}
	return r
}
