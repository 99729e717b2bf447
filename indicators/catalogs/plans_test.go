package catalogs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/internal/testplans"
)

// TestLoadSetServesTwoPlans loads the shipped 2026 list beside the 民生实事 sample:
// the first is the default, ids repeat across plans, shared departments are one.
func TestLoadSetServesTwoPlans(t *testing.T) {
	set, err := catalogs.LoadSet([]string{catalogs.Default, testplans.WriteMinsheng2026(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(set.Plans()); got != 2 {
		t.Fatalf("plans = %d, want 2", got)
	}
	if set.Default().Plan.ID != "changzhi-2026" {
		t.Errorf("default = %s, want the first listed, changzhi-2026", set.Default().Plan.ID)
	}
	ms, ok := set.Plan(testplans.MinshengID)
	if !ok {
		t.Fatal("minsheng-2026 not served")
	}
	if e, _ := ms.Lookup("1.1"); e.Target.Metric != "新建改扩建公办幼儿园" {
		t.Errorf("minsheng 1.1 = %q", e.Target.Metric)
	}
	if e, _ := set.Default().Lookup("1.1"); e.Target.Metric != "新增贷款" {
		t.Errorf("changzhi 1.1 = %q", e.Target.Metric)
	}
	n := 0
	for _, d := range set.Departments() {
		if d.ID == "jyj" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("department jyj listed %d times, want once", n)
	}
	if len(set.Departments()) != len(set.Default().Departments) {
		t.Errorf("departments = %d, want the shipped plan's %d (the sample adds none)", len(set.Departments()), len(set.Default().Departments))
	}
}

func TestPlanSetResolve(t *testing.T) {
	set, err := catalogs.LoadSet([]string{catalogs.Default, testplans.WriteMinsheng2026(t)})
	if err != nil {
		t.Fatal(err)
	}
	one, err := catalogs.LoadSet([]string{catalogs.Default})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		set       *indicators.PlanSet
		indicator string
		period    string
		want      []string
	}{
		"one plan serves every report":                     {one, "999.9", "2026-03", []string{"changzhi-2026"}},
		"an id only one plan has picks it":                 {set, "57.1", "2026-03", []string{"changzhi-2026"}},
		"an id only the sample has picks the sample":       {set, "1.2", "2026-03", []string{"minsheng-2026"}},
		"an id both plans have of their year is ambiguous": {set, "1.1", "2026-03", []string{"changzhi-2026", "minsheng-2026"}},
		"an id no plan has picks none":                     {set, "999.9", "2026-03", nil},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, c := range tc.set.Resolve(tc.indicator, tc.period) {
				got = append(got, c.Plan.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Resolve(%s, %s) = %v, want %v", tc.indicator, tc.period, got, tc.want)
			}
		})
	}
}

// TestPlanSetResolveByYear: the same list imported for two years; the period's year
// picks the plan.
func TestPlanSetResolveByYear(t *testing.T) {
	b, err := catalogs.Embedded("changzhi-2026")
	if err != nil {
		t.Fatal(err)
	}
	y2025 := strings.NewReplacer("id: changzhi-2026", "id: changzhi-2025", "year: 2026", "year: 2025", `"2026-`, `"2025-`).Replace(string(b))
	p := filepath.Join(t.TempDir(), "changzhi-2025.yaml")
	if err := os.WriteFile(p, []byte(y2025), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := catalogs.LoadSet([]string{catalogs.Default, p})
	if err != nil {
		t.Fatal(err)
	}
	for period, want := range map[string]string{"2025-12": "changzhi-2025", "2026-03": "changzhi-2026"} {
		got := set.Resolve("57.1", period)
		if len(got) != 1 || got[0].Plan.ID != want {
			t.Errorf("Resolve(57.1, %s) = %d plans, want %s", period, len(got), want)
		}
	}
	for now, want := range map[string]string{
		"2026-03-01T00:00:00+08:00": "changzhi-2026",
		"2025-06-01T00:00:00+08:00": "changzhi-2025",
		"2027-02-01T00:00:00+08:00": "changzhi-2026", // the latest year over, until 2027's list is served
		"2024-02-01T00:00:00+08:00": "changzhi-2026", // nothing yet: the default
	} {
		at, _ := time.Parse(time.RFC3339, now)
		if got := set.Current(at).Plan.ID; got != want {
			t.Errorf("Current(%s) = %s, want %s", now, got, want)
		}
	}
}

// TestLoadSetRefusesWithLines: problems across plans name the file and line.
func TestLoadSetRefusesWithLines(t *testing.T) {
	sample := string(testplans.Minsheng2026())
	write := func(t *testing.T, text string) string {
		p := filepath.Join(t.TempDir(), "plan.yaml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tc := range map[string]struct {
		text string
		want string // FILE:LINE: … as a suffix after the path
	}{
		"a plan id served twice": {
			text: strings.Replace(sample, "id: minsheng-2026", "id: changzhi-2026", 1),
			want: ":6: plan id \"changzhi-2026\" is already served by embedded:changzhi-2026",
		},
		"a department id naming another unit": {
			text: strings.Replace(sample, "name: 市教育局", "name: 市教育局（体育局）", 1),
			want: ":14: department \"jyj\" is \"市教育局（体育局）\" here but \"市教育局\" in embedded:changzhi-2026",
		},
		"a plan id unusable in a URL": {
			text: strings.Replace(sample, "id: minsheng-2026", "id: 民生/2026", 1),
			want: ":6: plan id \"民生/2026\": use letters, digits",
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := write(t, tc.text)
			_, err := catalogs.LoadSet([]string{catalogs.Default, p})
			var ie *indicators.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *indicators.InvalidError", err)
			}
			if !strings.Contains(err.Error(), p+tc.want) {
				t.Errorf("err = %v\nwant it to contain %s%s", err, p, tc.want)
			}
		})
	}
}

// TestLeadDepartmentsOfEveryPlan: the lead departments of a set are the first plan's,
// in its order, then those only a later plan has, each once.
func TestLeadDepartmentsOfEveryPlan(t *testing.T) {
	shipped, err := catalogs.Load(catalogs.Default)
	if err != nil {
		t.Fatal(err)
	}
	rfb := strings.NewReplacer("- id: zjj\n    name: 市住建局", "- id: rfb\n    name: 市人防办", "lead: zjj", "lead: rfb").Replace(string(testplans.Minsheng2026()))
	p := filepath.Join(t.TempDir(), "minsheng.yaml")
	if err := os.WriteFile(p, []byte(rfb), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		refs []string
		want []string
	}{
		"one plan leads as its catalog":                   {[]string{catalogs.Default}, shipped.LeadDepartments()},
		"shared departments are listed once":              {[]string{catalogs.Default, testplans.WriteMinsheng2026(t)}, shipped.LeadDepartments()},
		"a department only in the second plan comes last": {[]string{catalogs.Default, p}, append(append([]string(nil), shipped.LeadDepartments()...), "rfb")},
	} {
		t.Run(name, func(t *testing.T) {
			set, err := catalogs.LoadSet(tc.refs)
			if err != nil {
				t.Fatal(err)
			}
			if got := set.LeadDepartments(); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("LeadDepartments() = %v, want %v", got, tc.want)
			}
		})
	}
}
