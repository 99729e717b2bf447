package alertmanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/duban-gov/duban/internal/testenv"
)

type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// TestLaggingInhibitsAtRiskOfTheSameIndicator loads the example into the real
// Alertmanager and posts alerts: at_risk is muted by lagging of the same indicator
// only.
func TestLaggingInhibitsAtRiskOfTheSameIndicator(t *testing.T) {
	cfg, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	am := testenv.StartAlertmanager(t, string(cfg), nil)
	alert := func(name, indicator, dept, severity string) map[string]any {
		return map[string]any{
			"labels":   map[string]string{"alertname": name, "indicator": indicator, "department": dept, "severity": severity},
			"startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339),
		}
	}
	body, _ := json.Marshal([]map[string]any{
		alert("IndicatorLagging", "57.1", "rsj", "warning"),
		alert("IndicatorAtRisk", "57.1", "rsj", "info"),
		alert("IndicatorAtRisk", "11.1", "fgw", "info"),
	})
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	testenv.ReadBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post alerts: %s", resp.Status)
	}

	want := map[string]string{ // alertname/indicator → state
		"IndicatorLagging/57.1": "active",
		"IndicatorAtRisk/57.1":  "suppressed",
		"IndicatorAtRisk/11.1":  "active",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got map[string]string
	for ctx.Err() == nil {
		got = map[string]string{}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, am.URL+"/api/v2/alerts", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var as []amAlert
			_ = json.Unmarshal(testenv.ReadBody(t, resp), &as) // not yet a list: poll again
			for _, a := range as {
				got[a.Labels["alertname"]+"/"+a.Labels["indicator"]] = a.Status.State
			}
		}
		if equal(got, want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("alert states = %v, want %v", got, want)
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
