package dashboards_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/dashboards"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestRevisionsFluxListsEveryRevisionFromTheRealStore runs the indicator dashboard's
// Flux query against a real InfluxDB (1.8.3 with Flux) written by the real `duban serve`
// on its InfluxDB store: a report and its correction come back as two rows, newest
// first, with the columns the table renames.
func TestRevisionsFluxListsEveryRevisionFromTheRealStore(t *testing.T) {
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
	duban := testenv.StartDubanServe(t, func(addr, dir string) string {
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
	}, testenv.Files{"catalog.yaml": catYAML.String()})

	period := fmt.Sprintf("%d-%02d", now.Year(), int(now.Month())-1)
	id := lagging.Target.ID
	testenv.Push(t, duban.URL, tok, fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":100,"note":"首次报送"}]}`, id, period))
	testenv.Push(t, duban.URL, tok, fmt.Sprintf(`{"reports":[{"indicator":%q,"period":%q,"value":250,"note":"更正"}]}`, id, period))

	q := strings.NewReplacer("v.defaultBucket", fmt.Sprintf("%q", influx.Bucket), "${"+dashboards.VarIndicator+"}", id).
		Replace(dashboards.RevisionsFlux(cat))
	rows := flux(t, influx.URL, q)
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
	if _, err := time.Parse(time.RFC3339Nano, rows[0]["received_at"]); err != nil {
		t.Errorf("received_at %q is not a time: %v", rows[0]["received_at"], err)
	}
}

// flux runs a Flux query through /api/v2/query and returns its rows by column name.
func flux(t *testing.T, base, q string) []map[string]string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "type": "flux", "dialect": map[string]any{"header": true, "annotations": []string{}}})
	req, err := http.NewRequest(http.MethodPost, base+"/api/v2/query", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("flux: %s: %s\n%s", resp.Status, raw, q)
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	var header []string
	var out []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("flux csv: %v\n%s", err, raw)
		}
		if len(rec) == 0 || (len(rec) == 1 && rec[0] == "") {
			header = nil // a blank line separates tables
			continue
		}
		if header == nil {
			header = rec
			continue
		}
		row := map[string]string{}
		for i, c := range rec {
			if i < len(header) {
				row[header[i]] = c
			}
		}
		out = append(out, row)
	}
	return out
}
