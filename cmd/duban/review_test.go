package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReloadTurnsReviewRequiredOn: the office approves nothing, the department reports;
// review.required: true, applied by SIGHUP, takes the unapproved value out of what
// counts, and an approval through the real binary brings it back.
func TestReloadTurnsReviewRequiredOn(t *testing.T) {
	l := newLiveServer(t, "review: {required: false}\n")
	if code, _, err := l.push(l.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-03", "value": 11800}); err != nil || code != http.StatusCreated {
		t.Fatalf("push: %d %v", code, err)
	}
	value := func() string {
		t.Helper()
		resp, err := http.Get(l.url + "/api/v1/indicators/57.1")
		must(t, err)
		defer resp.Body.Close()
		var d struct {
			Latest *struct {
				Value *float64 `json:"value"`
			} `json:"latest"`
		}
		must(t, json.NewDecoder(resp.Body).Decode(&d))
		if d.Latest == nil || d.Latest.Value == nil {
			return "none"
		}
		return jsonNum(*d.Latest.Value)
	}
	if v := value(); v != "11800" {
		t.Fatalf("before the reload the report counts: %s", v)
	}
	l.rewrite("review: {required: true}\n")
	l.reload("SIGHUP")
	if v := value(); v != "none" {
		t.Fatalf("with review.required the unapproved report still counts: %s", v)
	}
	req, _ := http.NewRequest(http.MethodPost, l.url+"/api/v1/reviews", strings.NewReader(`{"reviews":[{"indicator":"57.1","period":"2026-03","decision":"approve"}]}`))
	req.Header.Set("Authorization", "Bearer "+l.tokens["admin"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("approve: %d %s", resp.StatusCode, b)
	}
	if v := value(); v != "11800" {
		t.Errorf("after the approval the report counts: %s", v)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }
