package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestRevisionsInfluxQLListsEveryRevisionFromTheRealStore runs the indicator
// dashboard's InfluxQL queries on /query of a real InfluxDB (1.8.3, Flux off) written by
// the real `duban serve` on its InfluxDB store: a report and its correction of 60.1
// 新增技能人才 (人, shown in 万人) come back as two rows with the columns the table
// renames, in 万人, and as two points at the end of the period they are for.
func TestRevisionsInfluxQLListsEveryRevisionFromTheRealStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts influxd and duban")
	}
	influx := testenv.StartInfluxd(t)
	// The server's clock stands in mid-June 2026 (testing.now, a test-only setting), so
	// the test runs the same on any date: it reports May.
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	cat := catalog(t)
	lagging, ok := cat.Lookup("60.1")
	if !ok || lagging.Target.DisplayScale != 1e4 {
		t.Fatalf("60.1 is not shown in 万人: %+v", lagging.Target)
	}
	var catYAML bytes.Buffer
	if err := cat.WriteYAML(&catYAML); err != nil {
		t.Fatal(err)
	}
	tok, hash := testenv.Token(t)
	duban := testenv.StartServe(t, testenv.ServeOptions{Config: func(addr, dir string) string {
		return fmt.Sprintf(`listen: %s
catalog: %s
store:
  kind: influxdb
  path: %s
  influxdb: {url: %s, org: %s, bucket: %s}
auth:
  tokens:
    - {department: %s, sha256: %s}
log: {format: text, level: warn}
testing: {now: %q}
`, addr, filepath.Join(dir, "catalog.yaml"), filepath.Join(dir, "spool"), influx.URL, influx.Org, influx.Bucket, lagging.Task.Lead, hash, now.Format(time.RFC3339))
	}, Files: testenv.Files{"catalog.yaml": catYAML.String()}})

	period := fmt.Sprintf("%d-%02d", now.Year(), int(now.Month())-1)
	id := lagging.Target.ID
	testenv.Push(t, duban.URL, tok, fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":12000,"note":"首次报送"}]}`, id, period))
	testenv.Push(t, duban.URL, tok, fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":12500,"note":"更正"}]}`, id, period))

	vars := strings.NewReplacer("${"+dashboards.VarPlan+"}", cat.Plan.ID, "${"+dashboards.VarIndicator+"}", id, "${"+dashboards.VarScale+"}", "10000")
	q := vars.Replace(dashboards.RevisionsInfluxQL(indicators.SinglePlan(cat)))
	rows := influxQL(t, influx, q)
	sort.Slice(rows, func(i, j int) bool { return rows[i]["revision"] > rows[j]["revision"] }) // the table sorts by time received
	if len(rows) != 2 {
		t.Fatalf("want 2 revisions, got %d: %v\n%s", len(rows), rows, q)
	}
	cases := map[string]struct{ row, col, want string }{
		"the correction comes first":   {"0", "revision", "2"},
		"with its value in 万人":         {"0", "value", "1.25"},
		"and its note":                 {"0", "note", "更正"},
		"then the first report":        {"1", "revision", "1"},
		"with the original value":      {"1", "value", "1.2"},
		"both for the reported period": {"1", "period", period},
		"sent by the department":       {"1", "sender", lagging.Task.Lead},
	}
	for name, tc := range cases {
		r := rows[0]
		if tc.row == "1" {
			r = rows[1]
		}
		if r[tc.col] != tc.want {
			t.Errorf("%s: %s = %q, want %q (row %v)", name, tc.col, r[tc.col], tc.want, r)
		}
	}
	ms, err := strconv.ParseFloat(rows[0]["received_at"], 64)
	if err != nil || !time.UnixMilli(int64(ms)).Equal(now) {
		t.Errorf("received_at %q is not the time received in ms (Grafana's time unit): %v", rows[0]["received_at"], err)
	}

	// The per-period plot: both revisions, in 万人, at the end of the reported month
	// (the period they are for), not when they were received.
	points := influxQL(t, influx, vars.Replace(dashboards.PeriodsInfluxQL(indicators.SinglePlan(cat))))
	if len(points) != 2 {
		t.Fatalf("per-period query: %d points, want 2: %v", len(points), points)
	}
	end := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, cat.Plan.Location())
	var values []string
	for _, p := range points {
		at, err := time.Parse(time.RFC3339Nano, p["time"])
		if err != nil || at.Sub(end).Abs() > time.Second {
			t.Errorf("point at %s (%v), want the end of %s, %s", p["time"], err, period, end)
		}
		values = append(values, p["报送值"])
	}
	sort.Strings(values)
	if strings.Join(values, ",") != "1.2,1.25" {
		t.Errorf("per-period values %v, want 1.2 and 1.25 (万人)", values)
	}

	// Another plan picked: the same id there has none of these revisions.
	other := strings.NewReplacer("${"+dashboards.VarPlan+"}", "minsheng-2026", "${"+dashboards.VarIndicator+"}", id, "${"+dashboards.VarScale+"}", "10000")
	if rows := influxQL(t, influx, other.Replace(dashboards.RevisionsInfluxQL(indicators.SinglePlan(cat)))); len(rows) != 0 {
		t.Errorf("with another plan picked the revisions of %s still show: %v", id, rows)
	}
}

// influxQL runs an InfluxQL query through /query and returns its rows by column name.
func influxQL(t *testing.T, db *testenv.Influxd, q string) []map[string]string {
	t.Helper()
	raw, err := db.QueryJSON(q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	var res struct {
		Results []struct {
			Series []struct {
				Columns []string `json:"columns"`
				Values  [][]any  `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	var out []map[string]string
	for _, r := range res.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				row := map[string]string{}
				for i, c := range s.Columns {
					if v[i] != nil {
						row[c] = fmt.Sprint(v[i])
					}
				}
				out = append(out, row)
			}
		}
	}
	return out
}
