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
	"github.com/duban-gov/duban/internal/testenv"
)

// TestRevisionsInfluxQLListsEveryRevisionFromTheRealStore runs the indicator
// dashboard's InfluxQL query on /query of a real InfluxDB (1.8.3, Flux off) written by
// the real `duban serve` on its InfluxDB store: a report and its correction come back
// as two rows with the columns the table renames.
func TestRevisionsInfluxQLListsEveryRevisionFromTheRealStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts influxd and duban")
	}
	influx := testenv.StartInfluxd(t)
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	if now.Month() < time.March {
		t.Skip("needs a complete month of the plan year behind")
	}
	cat := catalogThisYear(t, now.Year())
	lagging, _ := pick(t, cat, now)
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
`, addr, filepath.Join(dir, "catalog.yaml"), filepath.Join(dir, "spool"), influx.URL, influx.Org, influx.Bucket, lagging.Task.Lead, hash)
	}, Files: testenv.Files{"catalog.yaml": catYAML.String()}})

	period := fmt.Sprintf("%d-%02d", now.Year(), int(now.Month())-1)
	id := lagging.Target.ID
	testenv.Push(t, duban.URL, tok, fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":100,"note":"首次报送"}]}`, id, period))
	testenv.Push(t, duban.URL, tok, fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":250,"note":"更正"}]}`, id, period))

	q := strings.ReplaceAll(dashboards.RevisionsInfluxQL(cat), "${"+dashboards.VarIndicator+"}", id)
	rows := influxQL(t, influx, q)
	sort.Slice(rows, func(i, j int) bool { return rows[i]["revision"] > rows[j]["revision"] }) // the table sorts by time received
	if len(rows) != 2 {
		t.Fatalf("want 2 revisions, got %d: %v\n%s", len(rows), rows, q)
	}
	cases := map[string]struct{ row, col, want string }{
		"the correction comes first":   {"0", "revision", "2"},
		"with its value":               {"0", "value", "250"},
		"and its note":                 {"0", "note", "更正"},
		"then the first report":        {"1", "revision", "1"},
		"with the original value":      {"1", "value", "100"},
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
	if err != nil || time.Since(time.UnixMilli(int64(ms))).Abs() > time.Hour {
		t.Errorf("received_at %q is not the time received in ms (Grafana's time unit): %v", rows[0]["received_at"], err)
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
