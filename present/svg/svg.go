// Package svg draws the small inline charts people read on the board and in the
// bulletin (a trend per indicator, stacked bars of counts): SVG written as text, no
// JavaScript, colours and numbers from package present.
package svg

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/evaluate"
	"github.com/duban-gov/duban/present"
)

// Point is one value on a trend: X is the share of the plan year elapsed (0..1).
type Point struct {
	X, Y float64
}

// YearShare places t in its year: 0 at Jan 1 00:00, 1 at the end of Dec 31 (in t's zone).
func YearShare(t time.Time) float64 {
	start := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, t.Location())
	end := time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, t.Location())
	if t.Equal(end) {
		return 1
	}
	return float64(t.Sub(start)) / float64(end.Sub(start))
}

// SeriesPoints turns an indicator's series into display-unit points. A value as of the
// first instant of the next year counts as the end of this year.
func SeriesPoints(t *indicators.Target, year int, series []indicators.Revision) []Point {
	var pts []Point
	for _, r := range series {
		var y float64
		switch {
		case r.Value != nil:
			y = present.Display(t, *r.Value)
		case r.Percent != nil:
			y = *r.Percent
		default:
			continue
		}
		end := r.PeriodEnd
		x := YearShare(end)
		if end.Year() == year+1 && end.YearDay() == 1 && end.Hour() == 0 {
			x = 1
		} else if end.Year() != year {
			continue
		}
		pts = append(pts, Point{X: x, Y: y})
	}
	return pts
}

// Trajectory is the expected path of a cumulative target in display units, one point per
// month end (linear when the catalog gives no monthly profile). Nil for other measures.
func Trajectory(t *indicators.Target) []Point {
	if t.Measure != indicators.Cumulative || t.Relative != nil {
		return nil
	}
	goal := present.Display(t, t.Value)
	pts := []Point{{0, 0}}
	for m := 1; m <= 12; m++ {
		share := float64(m) / 12
		if t.Trajectory != nil && len(t.Trajectory.Monthly) == 12 {
			share = t.Trajectory.Monthly[m-1]
		}
		pts = append(pts, Point{X: float64(m) / 12, Y: goal * share})
	}
	return pts
}

// Trend is a small line chart of one indicator: the reported values, the target as a
// dashed line and, for cumulative targets, the expected trajectory as a dotted line.
type Trend struct {
	Width, Height int
	Values        []Point
	Target        *float64 // display units; nil for none
	Expected      []Point
	Color         string // line colour (the status colour)
	Label         string // accessible name
}

// SVG renders the chart as inline SVG.
func (c Trend) SVG() template.HTML {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 160
	}
	if h == 0 {
		h = 40
	}
	if c.Color == "" {
		c.Color = "#0969da"
	}
	c.Color = template.HTMLEscapeString(c.Color)
	lo, hi := 0.0, 0.0
	first := true
	see := func(v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		if first {
			lo, hi, first = v, v, false
			return
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	for _, p := range c.Values {
		see(p.Y)
	}
	for _, p := range c.Expected {
		see(p.Y)
	}
	if c.Target != nil {
		see(*c.Target)
	}
	if lo > 0 && len(c.Expected) > 0 {
		lo = 0
	}
	if hi-lo < 1e-9 {
		hi, lo = hi+1, lo-1
	}
	pad := (hi - lo) * 0.1
	lo, hi = lo-pad, hi+pad
	const m = 2.0
	px := func(x float64) float64 { return m + x*(float64(w)-2*m) }
	py := func(y float64) float64 { return m + (hi-y)/(hi-lo)*(float64(h)-2*m) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(c.Label))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#f6f8fa"/>`, w, h)
	if len(c.Expected) > 1 {
		fmt.Fprintf(&b, `<polyline class="expected" fill="none" stroke="#8c959f" stroke-width="1" stroke-dasharray="1 2" points="%s"/>`, points(c.Expected, px, py))
	}
	if c.Target != nil {
		y := py(*c.Target)
		fmt.Fprintf(&b, `<line class="target" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#cf222e" stroke-width="1" stroke-dasharray="4 2"/>`, px(0), y, px(1), y)
	}
	if len(c.Values) > 1 {
		fmt.Fprintf(&b, `<polyline class="values" fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, c.Color, points(c.Values, px, py))
	}
	for _, p := range c.Values {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2" fill="%s"/>`, px(p.X), py(p.Y), c.Color)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // G203: numbers formatted here, the label and colour escaped above
}

func points(ps []Point, px, py func(float64) float64) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%.1f,%.1f", px(p.X), py(p.Y))
	}
	return strings.Join(parts, " ")
}

// Segment is one part of a stacked bar.
type Segment struct {
	Label string
	Value float64
	Color string
}

// StackedBar renders segments side by side in one bar of the given size, each with its
// label and value as a tooltip title.
func StackedBar(width, height int, segs []Segment) template.HTML {
	total := 0.0
	for _, s := range segs {
		total += s.Value
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="bar" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`, width, height, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#eaeef2"/>`, width, height)
	x := 0.0
	for _, s := range segs {
		if total == 0 || s.Value <= 0 {
			continue
		}
		sw := s.Value / total * float64(width)
		fmt.Fprintf(&b, `<rect x="%.1f" y="0" width="%.1f" height="%d" fill="%s"><title>%s %s</title></rect>`,
			x, sw, height, template.HTMLEscapeString(s.Color), template.HTMLEscapeString(s.Label), present.Number(s.Value))
		x += sw
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // G203: numbers formatted here, labels and colours escaped above
}

// StatusBar is a stacked bar of targets per status, in the colours of package present.
func StatusBar(width, height int, counts []present.Count) template.HTML {
	segs := make([]Segment, 0, len(counts))
	for _, c := range counts {
		segs = append(segs, Segment{Label: c.Word, Value: float64(c.N), Color: c.Color})
	}
	return StackedBar(width, height, segs)
}

// CompletenessBar is the completeness bar of a department or a plan: its expected
// reports on time, late, missing and not yet due, in the words and colours of package
// present.
func CompletenessBar(width, height int, d evaluate.DepartmentCompleteness) template.HTML {
	n := present.ReportCounts(d)
	segs := make([]Segment, 0, len(n))
	for i, v := range present.ReportViews() {
		segs = append(segs, Segment{Label: v.Word, Value: float64(n[i]), Color: v.Color})
	}
	return StackedBar(width, height, segs)
}
