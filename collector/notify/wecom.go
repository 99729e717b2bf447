package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// wecom is a 企业微信 group robot: POST {"msgtype":"markdown","markdown":{"content":…}}
// to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY; it answers 200 with
// {"errcode":0,"errmsg":"ok"}, a failure with another errcode (45009: too frequent).
type wecom struct {
	url string
	u   *url.URL
}

func (w *wecom) host() string { return w.u.Host }

func (w *wecom) send(ctx context.Context, client *http.Client, m Message) (bool, error) {
	content := m.Text
	if m.Title != "" {
		content = "### " + m.Title + "\n" + m.Text
	}
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
	return post(ctx, client, w.url, body, map[int]bool{45009: true, -1: true})
}

// post sends body as JSON and reads the robot's {"errcode","errmsg"}; errcodes in
// retryable (system busy, too frequent) are worth another attempt.
func post(ctx context.Context, client *http.Client, target string, body []byte, retryable map[int]bool) (bool, error) {
	// target is the robot URL of the configuration (notify.robots url_file), checked at
	// start: an operator's setting, not a request's input.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body)) //nolint:gosec // G704: configured robot URL

	if err != nil {
		return false, scrub(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req) //nolint:gosec // G704: configured robot URL
	if err != nil {
		return ctx.Err() == nil, scrub(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return statusRetry(resp.StatusCode), fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var ans struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return false, fmt.Errorf("the robot's answer is not JSON: %.100s", b)
	}
	if ans.ErrCode != 0 {
		return retryable[ans.ErrCode], fmt.Errorf("errcode %d: %s", ans.ErrCode, ans.ErrMsg)
	}
	return false, nil
}
