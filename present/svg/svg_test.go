package svg_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
	"github.com/duban-gov/duban/present/svg"
)

func TestTrendDrawsTheTargetWhereTheValuesAre(t *testing.T) {
	target := 100.0
	out := string(svg.Trend{Width: 100, Height: 50, Target: &target, Values: []svg.Point{{0.25, 50}, {0.5, 100}}}.SVG())
	line := regexp.MustCompile(`class="target" x1="[\d.]+" y1="([\d.]+)"`).FindStringSubmatch(out)
	dots := regexp.MustCompile(`<circle cx="[\d.]+" cy="([\d.]+)"`).FindAllStringSubmatch(out, -1)
	if line == nil || len(dots) != 2 {
		t.Fatalf("svg lacks the target line or the points: %s", out)
	}
	if line[1] != dots[1][1] {
		t.Errorf("the value equal to the target (y=%s) is not on the target line (y=%s)", dots[1][1], line[1])
	}
	if y0, _ := strconv.ParseFloat(dots[0][1], 64); y0 <= mustFloat(t, dots[1][1]) {
		t.Errorf("the smaller value is drawn higher")
	}
	if strings.Contains(out, "<script") {
		t.Error("no script in charts")
	}
}

func mustFloat(t *testing.T, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStackedBarSharesTheWidth(t *testing.T) {
	out := string(svg.StackedBar(200, 10, []svg.Segment{{Label: "a", Value: 1, Color: "#000000"}, {Label: "b", Value: 3, Color: "#ffffff"}, {Label: "c", Value: 0}}))
	widths := regexp.MustCompile(`<rect x="[\d.]+" y="0" width="([\d.]+)" height="10" fill="#`).FindAllStringSubmatch(out, -1)
	if len(widths) != 3 || widths[1][1] != "50.0" || widths[2][1] != "150.0" { // background, a, b
		t.Errorf("widths %v, want 50 and 150", widths)
	}
}

func TestCompletenessBarNamesEachStateInItsColour(t *testing.T) {
	out := string(svg.CompletenessBar(100, 10, evaluate.DepartmentCompleteness{OnTime: 1, Late: 1, Missing: 2}))
	for _, v := range present.ReportViews() {
		if v.Status == evaluate.NotDue {
			if strings.Contains(out, v.Word) {
				t.Errorf("a state without reports is drawn: %s", out)
			}
			continue
		}
		if !strings.Contains(out, `fill="`+v.Color+`"><title>`+v.Word) {
			t.Errorf("bar lacks %s in %s: %s", v.Word, v.Color, out)
		}
	}
	if !strings.Contains(out, `width="50.0" height="10" fill="`+present.Report(evaluate.Missing).Color) {
		t.Errorf("2 of 4 missing is not half the bar: %s", out)
	}
}
