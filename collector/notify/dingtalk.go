package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// dingtalk is a 钉钉 custom robot with the 加签 security setting: POST
// {"msgtype":"markdown","markdown":{"title":…,"text":…}} to
// https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=MS&sign=S, where S is
// base64(HMAC-SHA256(secret, MS + "\n" + secret)), URL-encoded, and MS the current
// time in milliseconds (DingTalk refuses a timestamp an hour off).
type dingtalk struct {
	url    string
	u      *url.URL
	secret string
	now    func() time.Time
}

func (d *dingtalk) host() string { return d.u.Host }

// Sign is the sign of DingTalk's 加签 for a timestamp in milliseconds.
func Sign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (d *dingtalk) send(ctx context.Context, client *http.Client, m Message) (bool, error) {
	ms := d.now().UnixMilli()
	u := *d.u
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ms, 10))
	q.Set("sign", Sign(d.secret, ms))
	u.RawQuery = q.Encode()
	title := m.Title
	if title == "" {
		title = "督办提醒"
	}
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": "### " + title + "\n" + m.Text}})
	return post(ctx, client, u.String(), body, map[int]bool{-1: true, 130101: true})
}
