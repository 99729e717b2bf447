package influx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/influx"
	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestStartsOnADatabaseOfTheFirstSchema: a database written before the latest and key
// measurements existed (only report, report_changes and the leases, as the first schema
// wrote) is read whole once by the first replica that starts on it, which serves the
// same values and keys and converts the data; a replica started afterwards reads the
// converted state only: it serves the values and replays the keys even with every
// stored revision gone.
func TestStartsOnADatabaseOfTheFirstSchema(t *testing.T) {
	db := testenv.StartInfluxd(t)
	ctx := context.Background()
	var sent []indicators.Revision
	for i := range 3 {
		for _, period := range []string{"2026-01", "2026-02"} {
			for rev := range 3 {
				note := fmt.Sprintf("m.%d %s r%d", i, period, rev+1)
				sent = append(sent, report(fmt.Sprintf("m.%d", i), period, "key "+note, note, float64(10*i+rev)))
			}
		}
	}
	a := openStore(t, db, storage{bucket: db.Bucket, spool: t.TempDir()})
	if _, err := a.Append(ctx, sent); err != nil {
		t.Fatal(err)
	}
	want := latestNotes(t, a)
	if len(want) != 6 {
		t.Fatalf("latest values after the pushes: %v, want 6", want)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"report_latest", "report_key", "report_schema"} {
		if err := db.Query(`DROP MEASUREMENT "` + m + `"`); err != nil {
			t.Fatal(err)
		}
	}

	b := openStore(t, db, storage{bucket: db.Bucket, spool: t.TempDir()})
	if got := latestNotes(t, b); !slices.Equal(got, want) {
		t.Errorf("latest values read from the first schema = %v, want %v", got, want)
	}
	again, err := b.Append(ctx, sent[4:5])
	if err != nil {
		t.Fatal(err)
	}
	if !again[0].Replayed || again[0].Revision != 2 {
		t.Errorf("a key stored by the first schema, sent again: %+v, want a replay of revision 2", again[0])
	}
	next, err := b.Append(ctx, []indicators.Revision{report("m.0", "2026-01", "key after", "m.0 2026-01 r4", 99)})
	if err != nil || next[0].Revision != 4 {
		t.Fatalf("a correction after the start: %+v, %v; want revision 4", next, err)
	}
	want = latestNotes(t, b)
	eventually(t, "the schema marker written by the conversion", 30*time.Second, func() bool {
		return count(t, db, "report_schema", "version") == 1
	})
	if n := count(t, db, "report_latest", "revision"); n != 6 {
		t.Errorf("the latest measurement holds %d points after the conversion, want 6", n)
	}
	if n := count(t, db, "report_key", "revision"); n != len(sent)+1 {
		t.Errorf("the key measurement holds %d entries after the conversion, want %d", n, len(sent)+1)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// The revisions themselves are not read by a new replica any more.
	if err := db.Query(`DROP MEASUREMENT "report"`); err != nil {
		t.Fatal(err)
	}
	c := openStore(t, db, storage{bucket: db.Bucket, spool: t.TempDir()})
	defer c.Close()
	if got := latestNotes(t, c); !slices.Equal(got, want) {
		t.Errorf("latest values of a new replica after the conversion = %v, want %v", got, want)
	}
	for _, r := range []indicators.Revision{sent[0], sent[8]} {
		rc, err := c.Append(ctx, []indicators.Revision{r})
		if err != nil {
			t.Fatal(err)
		}
		if !rc[0].Replayed {
			t.Errorf("key %q sent again to a new replica: %+v, want a replay", r.IdempotencyKey, rc[0])
		}
	}
}

// latestNotes is the note of every latest value, sorted.
func latestNotes(t *testing.T, s *influx.Store) []string {
	t.Helper()
	latest, err := s.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(latest))
	for _, r := range latest {
		out = append(out, fmt.Sprintf("%s@%d", r.Note, r.Revision))
	}
	slices.Sort(out)
	return out
}

// count is the number of points of a measurement of the test database with field set.
func count(t *testing.T, db *testenv.Influxd, measurement, field string) int {
	t.Helper()
	b, err := db.QueryJSON(fmt.Sprintf(`SELECT count(%q) FROM %q`, field, measurement))
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return 0
		}
		t.Fatal(err)
	}
	var res struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range res.Results {
		for _, s := range r.Series {
			for _, v := range s.Values {
				f, _ := v[1].(float64)
				n += int(f)
			}
		}
	}
	return n
}
