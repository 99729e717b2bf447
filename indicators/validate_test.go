package indicators_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/indicators"
)

const validCatalog = `plan: {id: t-2026, title: 测试, issuer: 测试市人民政府办公室, document: 测政办函〔2026〕1号, year: 2026}
departments:
  - {id: fgw, name: 市发改委}
  - {id: tjj, name: 市统计局}
tasks:
  - num: 4
    lead: fgw
    cooperating: [tjj]
    text: 地区生产总值增长6%左右。
    targets:
      - {id: "4.1", metric: 地区生产总值增速, measure: growth_rate, comparator: approx, tolerance: 0.5, value: 6, unit: "%", due: "2026-12-31"}
  - num: 9
    lead: fgw
    text: 项目上半年开工。
    targets:
      - {id: "9.1", metric: 项目开工, measure: milestone, stage: started, value: 0, due: "2026-06-30"}
`

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		replace, with string
		want          string // "LINE: message fragment"; empty = no problem
	}{
		"a valid catalog has no problem":               {},
		"a duplicate department id is reported":        {replace: "{id: tjj,", with: "{id: fgw,", want: "4: duplicate department id \"fgw\" (first at line 3)"},
		"an unknown lead is reported":                  {replace: "    lead: fgw\n    text: 项目", with: "    lead: xyz\n    text: 项目", want: "13: task 9: lead \"xyz\" is not a department"},
		"an unknown cooperating unit is reported":      {replace: "[tjj]", with: "[tjj, gxqzf]", want: "8: task 4: cooperating unit \"gxqzf\" is not a department"},
		"a target without unit is reported":            {replace: `unit: "%", `, with: "", want: "11: target 4.1 has no unit"},
		"a due date outside the plan year is reported": {replace: `"2026-06-30"`, with: `"2027-06-30"`, want: "16: target 9.1: due 2027-06-30 is outside the plan year 2026"},
		"a malformed due date is reported":             {replace: `"2026-06-30"`, with: `"2026-06-31"`, want: "16: target 9.1: date \"2026-06-31\""},
		"a task follow-up is accepted":                 {replace: `stage: started, value: 0,`, with: `stage: completed, kind: task, value: 0,`},
		"an unknown kind is reported":                  {replace: `stage: started, value: 0,`, with: `stage: started, kind: tsak, value: 0,`, want: "16: target 9.1: unknown kind \"tsak\""},
		"a numeric task follow-up is reported":         {replace: `value: 6, unit: "%",`, with: `value: 6, kind: task, unit: "%",`, want: "11: target 4.1: a task follow-up must be a milestone"},
		"a duplicate target id is reported":            {replace: `"9.1"`, with: `"4.1"`, want: "16: duplicate target id \"4.1\" (first at line 11)"},
		"a duplicate task number is reported":          {replace: "num: 9", with: "num: 4", want: "12: duplicate task number 4 (first at line 6)"},
		"an approx target needs a tolerance":           {replace: "tolerance: 0.5, ", with: "", want: "11: target 4.1: approx without a tolerance"},
		"an unknown measure is reported":               {replace: "growth_rate", with: "speed", want: "11: target 4.1: unknown measure \"speed\""},
		"an unknown field is reported with its line":   {replace: "    text: 项目", with: "    texts: 项目", want: "14: line 14: field texts not found"},
		"a relative target must point at an indicator": {replace: `due: "2026-06-30"}`, with: `due: "2026-06-30", relative: {indicator: "99.1", comparator: ge}}`, want: "16: relative target points at unknown indicator \"99.1\""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := validCatalog
			if tc.replace != "" {
				if !strings.Contains(in, tc.replace) {
					t.Fatalf("fixture lacks %q", tc.replace)
				}
				in = strings.Replace(in, tc.replace, tc.with, 1)
			}
			probs, err := indicators.Validate(strings.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(probs) != 0 {
					t.Fatalf("problems = %v, want none", probs)
				}
				return
			}
			for _, p := range probs {
				if strings.HasPrefix(p.String(), tc.want) {
					return
				}
			}
			t.Fatalf("problems = %v, want one starting %q", probs, tc.want)
		})
	}
}

func TestValidateShippedFixtures(t *testing.T) {
	for _, path := range []string{"testdata/mini.yaml", "catalogs/changzhi-2026.yaml"} {
		probs, err := indicators.ValidateFile(path)
		if err != nil || len(probs) != 0 {
			t.Errorf("%s: %v %v", path, probs, err)
		}
	}
}

// TestLoadRefusesWhatValidateRejects: the one loader refuses a catalog with any problem
// Validate finds, naming each as FILE:LINE: message, in YAML and in JSON (whose lines
// come from reading it again as YAML).
func TestLoadRefusesWhatValidateRejects(t *testing.T) {
	bad := strings.NewReplacer("growth_rate", "speed", "    lead: fgw\n    text: 项目", "    lead: xyz\n    text: 项目").Replace(validCatalog)
	cases := map[string]struct {
		name, text string
		want       []string
	}{
		"a YAML catalog with an unknown measure and an unknown lead": {
			name: "bad.yaml", text: bad,
			want: []string{`bad.yaml:11: target 4.1: unknown measure "speed"`, `bad.yaml:13: task 9: lead "xyz" is not a department`},
		},
		"the same catalog as JSON": {
			name: "bad.json", text: asJSON(t, bad),
			want: []string{`target 4.1: unknown measure "speed"`, `task 9: lead "xyz" is not a department`},
		},
		"a plan without a year": {
			name: "noyear.yaml", text: strings.Replace(validCatalog, ", year: 2026}", "}", 1),
			want: []string{"noyear.yaml:1: plan has no year"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name)
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := indicators.Load(path)
			var ie *indicators.InvalidError
			if !errors.As(err, &ie) || c != nil {
				t.Fatalf("Load = %v, %v; want an *InvalidError", c, err)
			}
			probs, verr := indicators.ValidateFile(path)
			if verr != nil || len(probs) != len(ie.Problems) {
				t.Fatalf("Validate found %v (%v), Load %v", probs, verr, ie.Problems)
			}
			lines := strings.Join(ie.Lines(), "\n")
			for _, w := range tc.want {
				if !strings.Contains(lines, w) {
					t.Errorf("problems lack %q:\n%s", w, lines)
				}
			}
			for _, l := range ie.Lines() {
				if !strings.HasPrefix(l, path+":") || strings.HasPrefix(l, path+":0:") {
					t.Errorf("%q does not name the file and a line", l)
				}
				if !strings.Contains(err.Error(), l) {
					t.Errorf("the error does not carry %q: %v", l, err)
				}
			}
		})
	}
}

func asJSON(t *testing.T, y string) string {
	t.Helper()
	var c indicators.Catalog
	if err := yaml.Unmarshal([]byte(y), &c); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
