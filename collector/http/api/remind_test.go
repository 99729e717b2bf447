package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/duban-gov/duban/collector/http/api"
	"github.com/duban-gov/duban/internal/testenv"
)

// TestTheOfficeRemindsADepartmentThroughItsRobot: 催报 lists the reports not yet sent
// for the period and posts them to the department's WeCom robot (a local stand-in for
// the remote service); only the admin token may; a department without a robot is 409.
func TestTheOfficeRemindsADepartmentThroughItsRobot(t *testing.T) {
	n, sent := testenv.WeComRobot(t, "rsj")
	f := newFixture(t, func(c *api.Config) { c.Reminder, c.BoardURL = n, "https://duban.example.gov.cn/" })
	var ans struct {
		Period   string `json:"period"`
		Reminded []struct {
			Department string   `json:"department"`
			Missing    []string `json:"missing"`
			Sent       bool     `json:"sent"`
		} `json:"reminded"`
		Error *struct{ Code string } `json:"error"`
	}
	if resp := f.do(http.MethodPost, "/api/v1/remind?period=2026-05&department=rsj", f.tokens["rsj"], "", &ans); resp.StatusCode != http.StatusForbidden || ans.Error.Code != "forbidden_remind" {
		t.Errorf("a department reminding: %d %s", resp.StatusCode, f.lastBody)
	}
	ans.Error = nil
	if resp := f.do(http.MethodPost, "/api/v1/remind?period=2026-05&department=fgw", f.admin, "", &ans); resp.StatusCode != http.StatusConflict || ans.Error.Code != "no_robot" {
		t.Errorf("a department without a robot: %d %s", resp.StatusCode, f.lastBody)
	}
	ans.Error = nil
	if resp := f.do(http.MethodPost, "/api/v1/remind?period=2026-05&department=rsj", f.admin, "", &ans); resp.StatusCode != http.StatusOK {
		t.Fatalf("remind rsj: %d %s", resp.StatusCode, f.lastBody)
	}
	if len(ans.Reminded) != 1 || !ans.Reminded[0].Sent || len(ans.Reminded[0].Missing) == 0 || len(sent()) != 1 {
		t.Fatalf("answer %+v, robot got %d messages", ans, len(sent()))
	}
	var msg struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Content string }
	}
	_ = json.Unmarshal([]byte(sent()[0]), &msg)
	if msg.MsgType != "markdown" || !strings.Contains(msg.Markdown.Content, "催报:市人社局2026-05有") || !strings.Contains(msg.Markdown.Content, "57.1「") ||
		!strings.Contains(msg.Markdown.Content, "https://duban.example.gov.cn/report?period=2026-05") {
		t.Errorf("the reminder reads:\n%s", msg.Markdown.Content)
	}
	// Once rsj has reported everything, nothing is sent.
	for _, id := range ans.Reminded[0].Missing {
		f.push(f.tokens["rsj"], map[string]any{"indicator": id, "period": "2026-05", "value": 1})
	}
	if resp := f.do(http.MethodPost, "/api/v1/remind?period=2026-05&department=rsj", f.admin, "", &ans); resp.StatusCode != http.StatusOK || len(ans.Reminded) != 0 || len(sent()) != 1 {
		t.Errorf("after rsj reported everything: %d %s, robot got %d", resp.StatusCode, f.lastBody, len(sent()))
	}
}
