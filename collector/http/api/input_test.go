package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/collector/http/board"
)

// send posts body with the given Content-Type ("" sends none) and decodes the answer.
func (f *fixture) send(token, contentType, body string) (*http.Response, pushAnswer) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/api/v1/reports", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans pushAnswer
	if err := json.Unmarshal(b, &ans); err != nil {
		f.t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, b)
	}
	return resp, ans
}

func TestRequestMediaTypes(t *testing.T) {
	body := `{"reports":[{"indicator":"57.1","period":"2026-05","value":100}]}`
	cases := map[string]struct {
		contentType string
		body        string
		status      int
		code        string
		says        string // part of the message
	}{
		"JSON":                               {"application/json", body, 201, "", ""},
		"JSON with a charset":                {"application/json; charset=utf-8", body, 201, "", ""},
		"another JSON-based type":            {"application/vnd.duban.reports+json", body, 415, "unsupported_media_type", "application/json"},
		"no Content-Type is read as JSON":    {"", body, 201, "", ""},
		"JSON after a UTF-8 byte order mark": {"application/json", "\ufeff" + body, 201, "", ""},
		"a byte order mark and no type":      {"", "\ufeff" + body, 201, "", ""},
		"XML":                                {"application/xml", `<reports/>`, 415, "unsupported_media_type", "application/json"},
		"a form, as curl -d sends":           {"application/x-www-form-urlencoded", body, 415, "unsupported_media_type", "-H 'Content-Type: application/json'"},
		"plain text":                         {"text/plain", body, 415, "unsupported_media_type", "application/json"},
		"a Content-Type that does not parse": {"application/json; charset", body, 415, "unsupported_media_type", "not a valid media type"},
		"a bare word":                        {"json", body, 415, "unsupported_media_type", "application/json"},
		"two byte order marks":               {"application/json", "\ufeff\ufeff" + body, 400, "malformed_json", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			resp, ans := f.send(f.tokens["rsj"], tc.contentType, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %+v, want %d", resp.StatusCode, ans.Error, tc.status)
			}
			want := 0
			if tc.status == 201 {
				want = 1
				if ans.Accepted != 1 {
					t.Errorf("accepted %d, want 1", ans.Accepted)
				}
			} else if ans.Error == nil || ans.Error.Code != tc.code || !strings.Contains(ans.Error.Message, tc.says) {
				t.Fatalf("error %+v, want %s saying %q", ans.Error, tc.code, tc.says)
			}
			if n := f.stored(); n != want {
				t.Errorf("%d revisions stored, want %d", n, want)
			}
		})
	}
}

func TestAnEscapedKeyIsTheKeyItSpells(t *testing.T) {
	f := newFixture(t)
	resp, ans := f.send(f.tokens["rsj"], "application/json", `{"r\u0065ports":[{"indicator":"57.1","period":"2026-05","v\u0061lue":100}]}`)
	if resp.StatusCode != http.StatusCreated || ans.Accepted != 1 {
		t.Fatalf("%d %+v", resp.StatusCode, ans.Error)
	}
	if s := f.svc.Series("57.1"); len(s) != 1 || *s[0].Value != 100 {
		t.Fatalf("stored %+v", s)
	}
}

func TestIdempotencyKeyReusedForOtherContentIsAConflict(t *testing.T) {
	f := newFixture(t)
	first := map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000, "note": "1-5月", "idempotency_key": "rsj-57.1-2026-05"}
	resp, ans := f.push(f.tokens["rsj"], first)
	if resp.StatusCode != http.StatusCreated || ans.Receipts[0].Revision != 1 {
		t.Fatalf("first push: %d %+v", resp.StatusCode, ans)
	}
	other := func(change map[string]any) map[string]any {
		r := map[string]any{}
		for k, v := range first {
			r[k] = v
		}
		for k, v := range change {
			r[k] = v
		}
		return r
	}
	for name, change := range map[string]map[string]any{
		"another value":     {"value": 18001},
		"another period":    {"period": "2026-04"},
		"another indicator": {"indicator": "56.1", "period": "2026-Q1", "value": 6},
	} {
		t.Run(name, func(t *testing.T) {
			good := map[string]any{"indicator": "57.1", "period": "2026-03", "value": 9000}
			resp, ans := f.push(f.tokens["rsj"], good, other(change))
			if resp.StatusCode != http.StatusConflict || ans.Error == nil || ans.Error.Code != "idempotency_conflict" ||
				ans.Error.Index == nil || *ans.Error.Index != 1 || ans.Error.Field != "idempotency_key" {
				t.Fatalf("%d %+v, want 409 idempotency_conflict at report 1", resp.StatusCode, ans.Error)
			}
			if !strings.Contains(ans.Error.Message, "57.1 2026-05, revision 1") {
				t.Errorf("message %q does not name what the key was used for", ans.Error.Message)
			}
			if n := f.stored(); n != 1 {
				t.Fatalf("%d revisions stored, want only the first (nothing of the refused batch)", n)
			}
		})
	}
	// The same content with another note is a retry: the original receipt, nothing added.
	resp, ans = f.push(f.tokens["rsj"], other(map[string]any{"note": "重发", "evidence": "https://example.org/x"}))
	if resp.StatusCode != http.StatusCreated || ans.Replayed != 1 || ans.Receipts[0].Revision != 1 || !ans.Receipts[0].Replayed {
		t.Fatalf("retry: %d %+v", resp.StatusCode, ans)
	}
	// The period is compared as normalized: 2026-q1 is 2026-Q1.
	q := map[string]any{"indicator": "56.1", "period": "2026-Q1", "value": 6.1, "idempotency_key": "q"}
	f.push(f.tokens["rsj"], q)
	q["period"] = "2026-q1"
	if resp, ans := f.push(f.tokens["rsj"], q); resp.StatusCode != http.StatusCreated || ans.Replayed != 1 {
		t.Fatalf("retry with 2026-q1: %d %+v", resp.StatusCode, ans)
	}
	// Keys belong to their sender: the admin's key of the same name is another key.
	resp, ans = f.push(f.admin, other(map[string]any{"value": 18100, "reason": "统计局复核"}))
	if resp.StatusCode != http.StatusCreated || ans.Replayed != 0 || ans.Receipts[0].Revision != 2 {
		t.Fatalf("admin with the same key name: %d %+v", resp.StatusCode, ans)
	}
	if n := f.stored(); n != 3 {
		t.Fatalf("%d revisions stored, want 3", n)
	}
}

// TestConcurrentFirstAdminReportsNeedAReason sends the same first report of a period
// from many admin clients at once, without reason: one is the first report, every other
// one is a correction without a reason.
func TestConcurrentFirstAdminReportsNeedAReason(t *testing.T) {
	f := newFixture(t)
	const clients = 12
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		status = map[int]int{}
		codes  = map[string]int{}
		start  = make(chan struct{})
	)
	for i := range clients {
		wg.Go(func() {
			<-start
			resp, ans := f.push(f.admin, map[string]any{"indicator": "69.2", "period": "2026-05", "value": 80 + i})
			mu.Lock()
			defer mu.Unlock()
			status[resp.StatusCode]++
			if ans.Error != nil {
				codes[ans.Error.Code]++
			}
		})
	}
	close(start)
	wg.Wait()
	if status[201] != 1 || status[400] != clients-1 || codes["reason_required"] != clients-1 {
		t.Fatalf("statuses %v, codes %v: want one 201 and %d reason_required", status, codes, clients-1)
	}
	if n := f.stored(); n != 1 {
		t.Fatalf("%d revisions stored, want 1", n)
	}
}

// withBoard mounts the status board on the fixture's server.
func withBoard(c *api.Config) {
	b, err := board.New(board.Config{Source: c.Service.(*collector.Service)})
	if err != nil {
		panic(err)
	}
	c.Board = b
}

func TestCumulativeDecreaseIsStoredWithAWarning(t *testing.T) {
	f := newFixture(t, withBoard)
	if resp, ans := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-04", "value": 20000}); resp.StatusCode != http.StatusCreated || len(ans.Receipts[0].Warnings) != 0 {
		t.Fatalf("April: %d %+v", resp.StatusCode, ans)
	}
	resp, ans := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 19500},
		map[string]any{"indicator": "57.1", "period": "2026-03", "value": 21000})
	if resp.StatusCode != http.StatusCreated || ans.Accepted != 2 {
		t.Fatalf("%d %+v", resp.StatusCode, ans.Error)
	}
	w := ans.Receipts[0].Warnings
	if len(w) != 1 || w[0].Code != "cumulative_decreased" || !strings.Contains(w[0].Message, "19500") || !strings.Contains(w[0].Message, "20000") {
		t.Fatalf("May receipt warnings %+v, want one cumulative_decreased naming 19500 and 20000", w)
	}
	if w := ans.Receipts[1].Warnings; len(w) != 0 {
		t.Errorf("March (before April, nothing before it) warned: %+v", w)
	}
	if s := f.svc.Series("57.1"); len(s) != 3 || *s[2].Value != 19500 {
		t.Fatalf("stored %+v, want March, April and May with May's 19500", s)
	}
	// The board shows the note next to the target.
	if resp := f.do(http.MethodGet, "/", "", "", nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(f.lastBody), "累计值低于上期:2026-05为19500人,2026-04为20000人,请核实") {
		t.Fatalf("board: %d, no note on 57.1", resp.StatusCode)
	}
	// Within one batch the earlier report counts as the previous period.
	f2 := newFixture(t)
	resp, ans = f2.push(f2.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-01", "value": 5000},
		map[string]any{"indicator": "57.1", "period": "2026-02", "value": 4000})
	if resp.StatusCode != http.StatusCreated || len(ans.Receipts[0].Warnings) != 0 || len(ans.Receipts[1].Warnings) != 1 {
		t.Fatalf("one batch: %d %+v", resp.StatusCode, ans)
	}
	// A correction of the period before, earlier in the same batch, replaces it.
	resp, ans = f2.push(f2.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-02", "value": 6000},
		map[string]any{"indicator": "57.1", "period": "2026-03", "value": 5500})
	if resp.StatusCode != http.StatusCreated || len(ans.Receipts[0].Warnings) != 0 || len(ans.Receipts[1].Warnings) != 1 || !strings.Contains(ans.Receipts[1].Warnings[0].Message, "6000 for 2026-02") {
		t.Fatalf("a corrected February then March: %d %+v", resp.StatusCode, ans)
	}
	// A level may fall: no warning.
	f2.push(f2.tokens["sthjj"], map[string]any{"indicator": "69.1", "period": "2026-04", "value": 40})
	if resp, ans := f2.push(f2.tokens["sthjj"], map[string]any{"indicator": "69.1", "period": "2026-05", "value": 30}); resp.StatusCode != http.StatusCreated || len(ans.Receipts[0].Warnings) != 0 {
		t.Fatalf("a falling level: %d %+v", resp.StatusCode, ans)
	}
}

// An admin's first report without a reason, sent again with its key after a lost answer,
// replays; another report of the period without a reason is refused by the store.
func TestAdminFirstReportRetriedReplays(t *testing.T) {
	f := newFixture(t)
	first := map[string]any{"indicator": "69.2", "period": "2026-05", "value": 80, "idempotency_key": "office-69.2-05"}
	resp, ans := f.push(f.admin, first)
	if resp.StatusCode != http.StatusCreated || ans.Receipts[0].Revision != 1 {
		t.Fatalf("first: %d %+v", resp.StatusCode, ans)
	}
	resp, ans = f.push(f.admin, first)
	if resp.StatusCode != http.StatusCreated || ans.Replayed != 1 || ans.Receipts[0].Revision != 1 {
		t.Fatalf("retry: %d %+v, want the original receipt", resp.StatusCode, ans)
	}
	resp, ans = f.push(f.admin, map[string]any{"indicator": "69.2", "period": "2026-05", "value": 81, "idempotency_key": "office-69.2-05b"})
	if resp.StatusCode != http.StatusBadRequest || ans.Error == nil || ans.Error.Code != "reason_required" || *ans.Error.Index != 0 {
		t.Fatalf("a correction with a new key and no reason: %d %+v", resp.StatusCode, ans.Error)
	}
	if n := f.stored(); n != 1 {
		t.Fatalf("%d revisions stored, want 1", n)
	}
}
