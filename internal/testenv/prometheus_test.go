package testenv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/duban-gov/duban/internal/testenv"
)

func TestPrometheusStartsAndAnswersQueries(t *testing.T) {
	prom := testenv.StartPrometheus(t, "global:\n  scrape_interval: 1s\n", nil)
	ctx := context.Background()
	got, err := prom.Vector(ctx, "vector(42)")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Value[1] != "42" {
		t.Errorf("vector(42) = %+v", got)
	}
	if _, err := prom.Query(ctx, "sum by (x (y)"); err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("bad PromQL: err = %v, want a bad_data error", err)
	}
}

func TestAlertmanagerStarts(t *testing.T) {
	am := testenv.StartAlertmanager(t, "route:\n  receiver: none\nreceivers:\n  - name: none\n", nil)
	if err := testenv.WaitHTTP(context.Background(), am.URL+"/api/v2/status", testenv.ReadyTimeout); err != nil {
		t.Fatal(err)
	}
}
