package indicators_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
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

func TestJSONAndYAMLDecodeAlike(t *testing.T) {
	y, err := indicators.Load("testdata/mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := y.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	j, err := indicators.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y.Entries(), j.Entries()) || !reflect.DeepEqual(y.Plan, j.Plan) || !reflect.DeepEqual(y.Departments, j.Departments) {
		t.Fatal("the JSON form of the mini catalog decodes differently from its YAML")
	}
	if _, err := indicators.Decode(strings.NewReader(`{"plan":{"id":"x"},"bogus":1}`)); err == nil {
		t.Fatal("an unknown JSON field was accepted")
	}
}

func BenchmarkDecode10k(b *testing.B) {
	c := &indicators.Catalog{Plan: indicators.Plan{ID: "bench", Year: 2026}, Departments: []indicators.Department{{ID: "d", Name: "市某局"}}}
	for i := 0; i < 10000; i++ {
		c.Tasks = append(c.Tasks, indicators.Task{Num: i + 1, Lead: "d", Text: "新增就业1000人以上。", Targets: []indicators.Target{{
			ID: fmt.Sprintf("%d.1", i+1), Metric: "新增就业", Measure: indicators.Cumulative, Comparator: indicators.GE, Value: 1000, Unit: "人", Due: "2026-12-31"}}})
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"yaml": func(w *bytes.Buffer) error { return c.WriteYAML(w) },
		"json": func(w *bytes.Buffer) error { return c.WriteJSON(w) },
	} {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := indicators.Decode(bytes.NewReader(buf.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
