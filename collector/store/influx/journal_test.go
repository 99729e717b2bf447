package influx

import (
	"maps"
	"testing"

	"github.com/duban-gov/duban/indicators"
)

// TestTheJournalReadsBackWhatItRecorded: the revisions a round records (written
// without encoding/json) read back as they were, whatever the ids hold, and a later
// revision of the same (plan, indicator, period) wins.
func TestTheJournalReadsBackWhatItRecorded(t *testing.T) {
	dir := t.TempDir()
	j, err := openJournal(dir, "p0", map[pkey]int{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[pkey]int{}
	var pts []point
	for i, id := range []string{"1.1", `q"uote`, `back\slash`, "new\nline", "tab\tand\x01ctl", "指标一", "1.1"} {
		for _, plan := range []string{"", "p1"} {
			p := point{Rev: indicators.Revision{Report: indicators.Report{Plan: plan, Indicator: id, Period: "2026-03"}, Revision: i + 1}}
			pts = append(pts, p)
			k := pkey{plan, id, "2026-03"}
			if plan == "" {
				k.plan = "p0" // a line without a plan is the default plan's
			}
			want[k] = i + 1
		}
	}
	if err := j.record(pts); err != nil {
		t.Fatal(err)
	}
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
	got := map[pkey]int{}
	j, err = openJournal(dir, "p0", got)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = j.close() }()
	if !maps.Equal(got, want) {
		t.Errorf("read back %v; recorded %v", got, want)
	}
	if j.lines != len(pts) {
		t.Errorf("%d lines read; %d recorded", j.lines, len(pts))
	}
}
