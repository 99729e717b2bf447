package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/auth"
	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/conventions"
	"github.com/duban-gov/duban/internal/testenv"
)

func TestPushStoresAndReadsBack(t *testing.T) {
	f := newFixture(t)
	resp, ans := f.push(f.tokens["rsj"],
		map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18000, "note": "1-5月累计"},
		map[string]any{"indicator": "56.1", "period": "2026-q1", "value": -0.5},
	)
	if resp.StatusCode != http.StatusCreated || ans.Accepted != 2 {
		t.Fatalf("push: %d %+v", resp.StatusCode, ans)
	}
	if r := ans.Receipts[1]; r.Indicator != "56.1" || r.Period != "2026-Q1" || r.Revision != 1 {
		t.Fatalf("receipt %+v: want 56.1 2026-Q1 revision 1 (period normalized)", r)
	}
	// A second report of the same period is revision 2 and the latest.
	resp, ans = f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 18500})
	if resp.StatusCode != http.StatusCreated || ans.Receipts[0].Revision != 2 {
		t.Fatalf("second push: %d %+v", resp.StatusCode, ans)
	}
	var one struct {
		ID     string `json:"id"`
		Latest struct {
			Value    float64 `json:"value"`
			Revision int     `json:"revision"`
			Sender   string  `json:"sender"`
		} `json:"latest"`
		Department string `json:"department"`
	}
	if resp := f.do(http.MethodGet, "/api/v1/indicators/57.1", "", "", &one); resp.StatusCode != http.StatusOK {
		t.Fatalf("get indicator: %d", resp.StatusCode)
	}
	if one.Latest.Value != 18500 || one.Latest.Revision != 2 || one.Latest.Sender != "rsj" || one.Department != "rsj" {
		t.Fatalf("indicator 57.1: %+v", one)
	}
	var hist struct {
		Revisions []struct {
			Value    float64   `json:"value"`
			Revision int       `json:"revision"`
			Sender   string    `json:"sender"`
			Remote   string    `json:"remote"`
			Note     string    `json:"note"`
			Received time.Time `json:"received_at"`
		} `json:"revisions"`
	}
	f.do(http.MethodGet, "/api/v1/indicators/57.1/reports", f.admin, "", &hist) // the remote address is the admin's to see
	if len(hist.Revisions) != 2 {
		t.Fatalf("history: %+v, want 2 revisions", hist)
	}
	h0 := hist.Revisions[0]
	if h0.Value != 18000 || h0.Sender != "rsj" || h0.Remote != "127.0.0.1" || h0.Note != "1-5月累计" || !h0.Received.Equal(now) {
		t.Fatalf("first revision %+v: want value, sender, remote, note and time kept", h0)
	}
}

func TestBadInputIsRejectedAndNothingStored(t *testing.T) {
	good := `{"indicator":"57.1","period":"2026-05","value":100}`
	batch := func(items ...string) string { return `{"reports":[` + strings.Join(items, ",") + `]}` }
	many := make([]string, 1001)
	for i := range many {
		many[i] = good
	}
	huge := batch(`{"indicator":"57.1","period":"2026-05","value":1,"note":"` + strings.Repeat("x", 1<<20) + `"}`)
	cases := map[string]struct {
		token  string // department id, "admin", "none" or "bad"
		body   string
		status int
		code   string
		index  int // -1: none
		field  string
	}{
		"a body that is not JSON":                     {"rsj", `hello`, 400, "malformed_json", -1, ""},
		"a body cut short":                            {"rsj", `{"reports":[` + good, 400, "malformed_json", -1, ""},
		"an empty body":                               {"rsj", ``, 400, "malformed_json", -1, ""},
		"data after the JSON object":                  {"rsj", batch(good) + ` {}`, 400, "malformed_json", -1, ""},
		"reports that is not a list":                  {"rsj", `{"reports":5}`, 400, "malformed_json", -1, "reports"},
		"a report that is not an object":              {"rsj", batch(good, `"57.1"`), 400, "malformed_json", 1, ""},
		"an unknown field next to reports":            {"rsj", `{"reports":[` + good + `],"token":"x"}`, 400, "unknown_field", -1, "token"},
		"an unknown field in a report":                {"rsj", batch(good, `{"indicator":"57.1","period":"2026-05","valeu":1}`), 400, "unknown_field", 1, "valeu"},
		"no reports key":                              {"rsj", `{}`, 400, "missing_field", -1, "reports"},
		"an empty batch":                              {"rsj", `{"reports":[]}`, 400, "empty_batch", -1, "reports"},
		"more than 1000 reports":                      {"rsj", batch(many...), 413, "too_many_reports", -1, "reports"},
		"a body over 1 MiB":                           {"rsj", huge, 413, "body_too_large", -1, ""},
		"an unknown indicator after a good one":       {"rsj", batch(good, `{"indicator":"57.9","period":"2026-05","value":1}`), 400, "unknown_indicator", 1, "indicator"},
		"no indicator":                                {"rsj", batch(`{"period":"2026-05","value":1}`), 400, "missing_field", 0, "indicator"},
		"no period":                                   {"rsj", batch(`{"indicator":"57.1","value":1}`), 400, "missing_field", 0, "period"},
		"a period in words":                           {"rsj", batch(`{"indicator":"57.1","period":"March","value":1}`), 400, "invalid_period", 0, "period"},
		"month 13":                                    {"rsj", batch(`{"indicator":"57.1","period":"2026-13","value":1}`), 400, "invalid_period", 0, "period"},
		"February 30":                                 {"rsj", batch(`{"indicator":"57.1","period":"2026-02-30","value":1}`), 400, "invalid_period", 0, "period"},
		"a period of last year":                       {"rsj", batch(`{"indicator":"57.1","period":"2025-12","value":1}`), 400, "period_outside_plan_year", 0, "period"},
		"a period of next year":                       {"rsj", batch(`{"indicator":"57.1","period":"2027-Q1","value":1}`), 400, "period_outside_plan_year", 0, "period"},
		"next month":                                  {"rsj", batch(good, `{"indicator":"57.1","period":"2026-07","value":1}`), 400, "period_in_future", 1, "period"},
		"tomorrow":                                    {"rsj", batch(`{"indicator":"57.1","period":"2026-06-16","value":1}`), 400, "period_in_future", 0, "period"},
		"NaN as a string":                             {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":"NaN"}`), 400, "invalid_value", 0, "value"},
		"Infinity as a string":                        {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":"+Inf"}`), 400, "invalid_value", 0, "value"},
		"a number beyond float range":                 {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":1e400}`), 400, "invalid_value", 0, "value"},
		"a number as a string":                        {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":"12"}`), 400, "invalid_value", 0, "value"},
		"a negative count":                            {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":-1}`), 400, "negative_value", 0, "value"},
		"no value for a numeric target":               {"rsj", batch(`{"indicator":"57.1","period":"2026-05"}`), 400, "missing_field", 0, "value"},
		"a stage on a numeric target":                 {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":1,"stage":"started"}`), 400, "stage_on_numeric", 0, "stage"},
		"a percent on a numeric target":               {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":1,"percent":50}`), 400, "stage_on_numeric", 0, "percent"},
		"a value on a milestone":                      {"slj", batch(`{"indicator":"99.1","period":"2026-05","value":1,"stage":"started"}`), 400, "value_on_milestone", 0, "value"},
		"no stage on a milestone":                     {"slj", batch(`{"indicator":"99.1","period":"2026-05"}`), 400, "missing_field", 0, "stage"},
		"an unknown stage":                            {"slj", batch(`{"indicator":"99.1","period":"2026-05","stage":"almost"}`), 400, "invalid_stage", 0, "stage"},
		"a percent over 100":                          {"slj", batch(`{"indicator":"99.1","period":"2026-05","stage":"started","percent":150}`), 400, "invalid_percent", 0, "percent"},
		"a negative percent":                          {"slj", batch(`{"indicator":"99.1","period":"2026-05","stage":"started","percent":-1}`), 400, "invalid_percent", 0, "percent"},
		"a note that is too long":                     {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":1,"note":"` + strings.Repeat("x", 9000) + `"}`), 400, "field_too_long", 0, "note"},
		"no token":                                    {"none", batch(good), 401, "unauthorized", -1, ""},
		"a wrong token":                               {"bad", batch(good), 401, "unauthorized", -1, ""},
		"another department's indicator":              {"rsj", batch(good, `{"indicator":"11.1","period":"2026-05","value":1}`), 403, "forbidden_indicator", 1, "indicator"},
		"an admin correction without a reason":        {"admin", batch(`{"indicator":"69.1","period":"2026-05","value":31}`), 400, "reason_required", 0, "reason"},
		"a department that leads no indicator at all": {"tjj", batch(good), 403, "forbidden_indicator", 0, "indicator"},
		// The calendar: a year-to-date value is as of the period's end.
		"this month, which is not over":              {"rsj", batch(good, `{"indicator":"57.1","period":"2026-06","value":1}`), 400, "period_not_over", 1, "period"},
		"today, which is not over":                   {"rsj", batch(`{"indicator":"57.1","period":"2026-06-15","value":1}`), 400, "period_not_over", 0, "period"},
		"this quarter, which is not over":            {"rsj", batch(`{"indicator":"56.1","period":"2026-Q2","value":6}`), 400, "period_not_over", 0, "period"},
		"a month for a quarterly indicator":          {"rsj", batch(`{"indicator":"56.1","period":"2026-Q1","value":6}`, `{"indicator":"56.1","period":"2026-05","value":6}`), 400, "period_not_in_cadence", 1, "period"},
		"a day inside a quarter for a quarterly one": {"rsj", batch(`{"indicator":"56.1","period":"2026-02-28","value":6}`), 400, "period_not_in_cadence", 0, "period"},
		// Idempotency keys.
		"one key twice in a batch": {"rsj", batch(`{"indicator":"57.1","period":"2026-04","value":1,"idempotency_key":"k"}`, good, `{"indicator":"57.1","period":"2026-05","value":2,"idempotency_key":"k"}`), 400, "duplicate_idempotency_key", 2, "idempotency_key"},
		// The reason of an admin correction.
		"an admin first report twice in a batch without reason": {"admin", batch(`{"indicator":"69.2","period":"2026-05","value":80}`, `{"indicator":"69.2","period":"2026-05","value":81}`), 400, "reason_required", 1, "reason"},
		"an admin correction with a blank reason":               {"admin", batch(`{"indicator":"69.1","period":"2026-05","value":31,"reason":" \u3000\t\n"}`), 400, "reason_required", 0, "reason"},
		"an admin correction with an invisible reason":          {"admin", batch(`{"indicator":"69.1","period":"2026-05","value":31,"reason":"\u200b\u200c\u200d\u2060\ufeff\u00a0\u180e\u3164"}`), 400, "reason_required", 0, "reason"},
		// Keys are exact.
		"a key in capitals beside the key": {"rsj", batch(good, `{"indicator":"57.1","period":"2026-05","value":1,"Value":9}`), 400, "unknown_field", 1, "Value"},
		"a key in capitals alone":          {"rsj", batch(`{"Indicator":"57.1","period":"2026-05","value":1}`), 400, "unknown_field", 0, "Indicator"},
		"a key folded by Unicode":          {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":1,"note":"x","ſtage":"started"}`), 400, "unknown_field", 0, "ſtage"},
		"the envelope's key in capitals":   {"rsj", `{"Reports":[` + good + `]}`, 400, "unknown_field", -1, "Reports"},
		"a key twice in a report":          {"rsj", batch(`{"indicator":"57.1","period":"2026-05","value":1,"value":9}`), 400, "malformed_json", 0, "value"},
		"the envelope's key twice":         {"rsj", `{"reports":[` + good + `],"reports":[` + good + `]}`, 400, "malformed_json", -1, "reports"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			// One earlier report, so that a correction exists to be made and "nothing
			// stored" means nothing more than this.
			if resp, ans := f.push(f.tokens["sthjj"], map[string]any{"indicator": "69.1", "period": "2026-05", "value": 33}); resp.StatusCode != http.StatusCreated {
				t.Fatalf("setup push: %d %+v", resp.StatusCode, ans)
			}
			before := f.stored()
			token := f.tokens[c.token]
			switch c.token {
			case "admin":
				token = f.admin
			case "none":
				token = ""
			case "bad":
				token = "not-a-token"
			}
			var ans pushAnswer
			resp := f.do(http.MethodPost, "/api/v1/reports", token, c.body, &ans)
			if resp.StatusCode != c.status || ans.Error == nil || ans.Error.Code != c.code {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, ans.Error, c.status, c.code)
			}
			gotIndex := -1
			if ans.Error.Index != nil {
				gotIndex = *ans.Error.Index
			}
			if gotIndex != c.index || ans.Error.Field != c.field {
				t.Fatalf("index %d field %q, want %d %q (%s)", gotIndex, ans.Error.Field, c.index, c.field, ans.Error.Message)
			}
			if ans.Error.Message == "" {
				t.Fatal("no message saying what to fix")
			}
			if n := f.stored(); n != before {
				t.Fatalf("%d revisions stored after a rejected batch, want %d", n, before)
			}
			if c.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestAdminCorrectsWithReasonAndItIsAudited(t *testing.T) {
	f := newFixture(t)
	f.push(f.tokens["sthjj"], map[string]any{"indicator": "69.1", "period": "2026-05", "value": 33})
	resp, ans := f.push(f.admin, map[string]any{"indicator": "69.1", "period": "2026-05", "value": 31, "reason": "监测站数据复核更正"})
	if resp.StatusCode != http.StatusCreated || ans.Receipts[0].Revision != 2 {
		t.Fatalf("admin correction: %d %+v", resp.StatusCode, ans)
	}
	var hist struct {
		Revisions []struct {
			Sender, Department, Reason string
			Value                      float64
		} `json:"revisions"`
	}
	f.do(http.MethodGet, "/api/v1/indicators/69.1/reports", "", "", &hist)
	if len(hist.Revisions) != 2 {
		t.Fatalf("history %+v", hist)
	}
	if r := hist.Revisions[1]; r.Sender != "admin" || r.Department != "sthjj" || r.Reason != "监测站数据复核更正" || r.Value != 31 {
		t.Fatalf("correction recorded as %+v: want sender admin, department sthjj, the reason and the value", r)
	}
	// A first report by the admin (nothing to correct) needs no reason.
	if resp, ans := f.push(f.admin, map[string]any{"indicator": "69.2", "period": "2026-05", "value": 81}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("admin first report: %d %+v", resp.StatusCode, ans)
	}
}

func TestReplayedIdempotencyKeyAddsNothing(t *testing.T) {
	f := newFixture(t)
	r := map[string]any{"indicator": "57.1", "period": "2026-05", "value": 100, "idempotency_key": "rsj-2026-05-a"}
	_, first := f.push(f.tokens["rsj"], r)
	resp, again := f.push(f.tokens["rsj"], r)
	if resp.StatusCode != http.StatusCreated || again.Replayed != 1 || !again.Receipts[0].Replayed || again.Receipts[0].Revision != first.Receipts[0].Revision {
		t.Fatalf("replay: %d %+v, first %+v", resp.StatusCode, again, first)
	}
	if n := f.stored(); n != 1 {
		t.Fatalf("%d revisions stored, want 1", n)
	}
	counts := map[string]uint64{}
	for _, c := range f.svc.ReceivedCounts() {
		counts[c.Department+"/"+c.Result] = c.Count
	}
	if counts["rsj/"+conventions.ResultAccepted] != 1 || counts["rsj/"+conventions.ResultReplayed] != 1 {
		t.Fatalf("received counts %v: want rsj accepted 1, replayed 1", counts)
	}
}

func TestReceivedCountsByResult(t *testing.T) {
	f := newFixture(t)
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 1}, map[string]any{"indicator": "57.1", "period": "2026-04", "value": 1})
	f.push(f.tokens["rsj"], map[string]any{"indicator": "11.1", "period": "2026-05", "value": 1})
	f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": -1})
	f.do(http.MethodPost, "/api/v1/reports", f.tokens["fgw"], `not json`, nil)
	want := map[string]uint64{
		"rsj/" + conventions.ResultAccepted:  2,
		"rsj/" + conventions.ResultForbidden: 1,
		"rsj/" + conventions.ResultRejected:  1,
		"fgw/" + conventions.ResultRejected:  1,
	}
	got := map[string]uint64{}
	for _, c := range f.svc.ReceivedCounts() {
		if c.Count > 0 {
			got[c.Department+"/"+c.Result] = c.Count
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("received counts %v, want %v", got, want)
	}
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	f := newFixture(t, func(c *api.Config) { c.RatePerSecond = 0.001; c.RateBurst = 2 })
	body := `{"reports":[{"indicator":"57.1","period":"2026-05","value":1}]}`
	for i := 0; i < 2; i++ {
		if resp := f.do(http.MethodPost, "/api/v1/reports", f.tokens["rsj"], body, nil); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push %d within the burst: %d", i, resp.StatusCode)
		}
	}
	var ans pushAnswer
	resp := f.do(http.MethodPost, "/api/v1/reports", f.tokens["rsj"], body, &ans)
	if resp.StatusCode != http.StatusTooManyRequests || ans.Error.Code != "rate_limited" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third push: %d %+v Retry-After %q", resp.StatusCode, ans.Error, resp.Header.Get("Retry-After"))
	}
	// The limit is per token: another department is not slowed down.
	if resp := f.do(http.MethodPost, "/api/v1/reports", f.tokens["fgw"], `{"reports":[{"indicator":"11.1","period":"2026-05","value":1}]}`, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("other token: %d", resp.StatusCode)
	}
}

func TestConcurrencyLimitAnswers503(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	f := newFixture(t, func(c *api.Config) {
		c.MaxConcurrent = 1
		api.WithTestRoutes(c, func(r gin.IRouter) {
			r.GET("/test/slow", func(c *gin.Context) { entered <- struct{}{}; <-release; c.Status(200) })
		})
	})
	done := make(chan int)
	go func() {
		resp, err := http.Get(f.url + "/test/slow")
		if err != nil {
			done <- 0
			return
		}
		_ = resp.Body.Close() // only the status is compared
		done <- resp.StatusCode
	}()
	<-entered
	var ans pushAnswer
	resp := f.do(http.MethodGet, "/api/v1/departments", "", "", &ans)
	if resp.StatusCode != http.StatusServiceUnavailable || ans.Error.Code != "overloaded" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second request while one is in flight: %d %+v", resp.StatusCode, ans.Error)
	}
	if resp := f.do(http.MethodGet, "/-/healthy", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("health probe under load: %d, want 200 (exempt)", resp.StatusCode)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Fatalf("slow request: %d", code)
	}
}

func TestLogsNeverHoldTheToken(t *testing.T) {
	f := newFixture(t)
	tok := f.tokens["rsj"]
	f.push(tok, map[string]any{"indicator": "57.1", "period": "2026-05", "value": 1})
	f.push(tok, map[string]any{"indicator": "11.1", "period": "2026-05", "value": 1})
	f.do(http.MethodPost, "/api/v1/reports", tok+"x", `{}`, nil)
	deadline := time.Now().Add(2 * time.Second)
	for strings.Count(f.logs.String(), `"http request"`) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	logs := f.logs.String()
	if strings.Count(logs, `"http request"`) < 3 {
		t.Fatalf("expected 3 request log lines, got:\n%s", logs)
	}
	if !strings.Contains(logs, `"sender":"rsj"`) {
		t.Fatalf("logs do not say who sent:\n%s", logs)
	}
	for what, secret := range map[string]string{"token": tok, "its hash": auth.Hash(tok), "the header": "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %s:\n%s", what, logs)
		}
	}
}

func TestCORSIsOffByDefault(t *testing.T) {
	for name, c := range map[string]struct {
		origins []string
		want    string
	}{
		"no origins configured sends no CORS header": {nil, ""},
		"a configured origin is allowed":             {[]string{"https://board.example"}, "https://board.example"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(cfg *api.Config) { cfg.CORSOrigins = c.origins })
			for _, method := range []string{http.MethodGet, http.MethodOptions} {
				req, _ := http.NewRequest(method, f.url+"/api/v1/indicators", nil)
				req.Header.Set("Origin", "https://board.example")
				req.Header.Set("Access-Control-Request-Method", "GET")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				testenv.ReadBody(t, resp)
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != c.want {
					t.Fatalf("%s: Access-Control-Allow-Origin %q, want %q", method, got, c.want)
				}
				if c.want == "" {
					for k := range resp.Header {
						if strings.HasPrefix(k, "Access-Control-") {
							t.Fatalf("%s: header %s sent without CORS configured", method, k)
						}
					}
				}
			}
		})
	}
}

func TestUnknownPathAnswersEnvelope(t *testing.T) {
	f := newFixture(t)
	var ans pushAnswer
	resp := f.do(http.MethodGet, "/api/v1/nothing", "", "", &ans)
	if resp.StatusCode != http.StatusNotFound || ans.Error == nil || ans.Error.Code != "not_found" {
		t.Fatalf("%d %+v", resp.StatusCode, ans.Error)
	}
}

func TestStoreFailureAnswers503AndNothingIsAcknowledged(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, ans := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 1})
	if resp.StatusCode != http.StatusServiceUnavailable || ans.Error == nil || ans.Error.Code != "store_unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("push with the store closed: %d %+v", resp.StatusCode, ans.Error)
	}
	if len(f.svc.Series("57.1")) != 0 {
		t.Fatal("the snapshot shows a report the store did not take")
	}
	if resp := f.do(http.MethodGet, "/-/ready", "", "", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("ready with the store closed: %d, want 503", resp.StatusCode)
	}
}

func TestWrongMethodAnswersEnvelope(t *testing.T) {
	f := newFixture(t)
	var ans pushAnswer
	resp := f.do(http.MethodGet, "/api/v1/reports", "", "", &ans)
	if resp.StatusCode != http.StatusMethodNotAllowed || ans.Error == nil || ans.Error.Code != "method_not_allowed" {
		t.Fatalf("%d %+v", resp.StatusCode, ans.Error)
	}
}
