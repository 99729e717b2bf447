package indicators_test

import (
	"testing"

	"github.com/duban-gov/duban/indicators"
)

func TestLoadMiniFixture(t *testing.T) {
	c, err := indicators.Load("testdata/mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.TargetIDs()); got != 8 {
		t.Fatalf("targets = %d, want 8", got)
	}
	e, ok := c.Lookup("57.1")
	if !ok || e.Department.ID != "rsj" || e.Task.Num != 57 || e.Target.Value != 43000 {
		t.Fatalf("lookup 57.1 = %+v, %v", e, ok)
	}
	if _, ok := c.Lookup("57.2"); ok {
		t.Fatal("57.2 should not exist")
	}
}

func TestParsePeriod(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    string
		wantErr bool
	}{
		"a month":            {in: "2026-03", want: "2026-03"},
		"a quarter":          {in: "2026-Q1", want: "2026-Q1"},
		"a lower-case q":     {in: "2026-q2", want: "2026-Q2"},
		"a day":              {in: "2026-06-30", want: "2026-06-30"},
		"month 13 is wrong":  {in: "2026-13", wantErr: true},
		"Q5 is wrong":        {in: "2026-Q5", wantErr: true},
		"Feb 30 is wrong":    {in: "2026-02-30", wantErr: true},
		"free text is wrong": {in: "March", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := indicators.ParsePeriod(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParsePeriod(%q) = %v, want error", tc.in, p)
				}
				return
			}
			if err != nil || p.String() != tc.want {
				t.Fatalf("ParsePeriod(%q) = %v, %v; want %s", tc.in, p, err, tc.want)
			}
		})
	}
}
