package notify

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Payload is Alertmanager's webhook payload (version 4): one group of alerts.
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"` // firing | resolved
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []PayloadAlert    `json:"alerts"`
}

// PayloadAlert is one alert of a Payload.
type PayloadAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Department is the department whose robot gets the group: its department label, else
// what the generated Alertmanager receiver names (dept-rsj → rsj, duban-office →
// office, duban-ops → ops).
func (p Payload) Department() string {
	for _, m := range []map[string]string{p.GroupLabels, p.CommonLabels} {
		if d := m["department"]; d != "" {
			return d
		}
	}
	switch {
	case strings.HasPrefix(p.Receiver, "dept-"):
		return strings.TrimPrefix(p.Receiver, "dept-")
	case strings.HasPrefix(p.Receiver, "duban-"):
		return strings.TrimPrefix(p.Receiver, "duban-")
	}
	return p.Receiver
}

// Render words a group as one short Chinese message: its summary as the title, each
// alert's description (department, indicator, value, expected, gap, as the rule's
// texts say), resolved ones marked 已恢复, and a link to the board.
func Render(p Payload, boardURL string) Message {
	title := p.CommonAnnotations["summary"]
	if title == "" && len(p.Alerts) > 0 {
		title = p.Alerts[0].Annotations["summary"]
	}
	if title == "" {
		title = "督办提醒"
	}
	if p.Status == "resolved" {
		title = "已恢复:" + title
	}
	var lines []string
	alerts := append([]PayloadAlert(nil), p.Alerts...)
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].Labels["indicator"] < alerts[j].Labels["indicator"] })
	for _, a := range alerts {
		text := a.Annotations["description"]
		if text == "" {
			text = a.Annotations["summary"]
		}
		if a.Status == "resolved" && p.Status != "resolved" {
			text = "已恢复:" + text
		}
		lines = append(lines, "- "+text)
	}
	if boardURL != "" {
		lines = append(lines, "", "[查看督办看板]("+boardURL+")")
	}
	return Message{Title: title, Text: strings.Join(lines, "\n")}
}

// ReceiverConfig configures the Alertmanager receiver.
type ReceiverConfig struct {
	Notifier *Notifier
	// TokenSHA256 is the hex sha256 of the bearer token Alertmanager sends
	// (alertmanager.yml http_config.authorization); required.
	TokenSHA256 string
	BoardURL    string // the link in every message
	MaxBytes    int64  // default 1 MiB
}

// Receiver answers POST /api/v1/notify/alertmanager: 401 without the token, 400 for a
// payload that does not decode, 200 once the message is delivered (or when the
// department has no robot, which is logged and answered), 502 when the robot failed
// after the retries, so that Alertmanager tries again.
func Receiver(cfg ReceiverConfig) (http.Handler, error) {
	if cfg.Notifier == nil {
		return nil, errors.New("notify: receiver without a notifier")
	}
	want, err := hex.DecodeString(cfg.TokenSHA256)
	if err != nil || len(want) != sha256.Size {
		return nil, errors.New("notify.token_sha256 must be the hex sha256 of the token Alertmanager sends (duban token hash)")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			answer(w, http.StatusMethodNotAllowed, "method_not_allowed", "POST the Alertmanager webhook payload")
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(tok))
		if !ok || subtle.ConstantTimeCompare(got[:], want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="duban"`)
			answer(w, http.StatusUnauthorized, "unauthorized", "send the receiver's token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
			return
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxBytes))
		if err != nil {
			answer(w, http.StatusRequestEntityTooLarge, "body_too_large", "the payload is too large")
			return
		}
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil || len(p.Alerts) == 0 {
			answer(w, http.StatusBadRequest, "malformed_json", "the body is not an Alertmanager webhook payload with alerts (告警内容无法解析)")
			return
		}
		dept := p.Department()
		if !cfg.Notifier.Has(dept) {
			cfg.Notifier.cfg.Logger.Warn("notify: no robot for the department; the alerts stay in Alertmanager", "department", dept, "receiver", p.Receiver, "alerts", len(p.Alerts))
			answer(w, http.StatusOK, "no_robot", fmt.Sprintf("no robot is configured for department %q: nothing sent", dept))
			return
		}
		if err := cfg.Notifier.Send(r.Context(), dept, Render(p, cfg.BoardURL)); err != nil {
			answer(w, http.StatusBadGateway, "robot_failed", "the robot did not take the message after retries; Alertmanager will send it again")
			return
		}
		answer(w, http.StatusOK, "sent", "delivered to the robot of "+dept)
	}), nil
}

func answer(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	body := map[string]any{"result": code, "message": msg}
	if status >= 400 {
		body = map[string]any{"error": map[string]string{"code": code, "message": msg}}
	}
	_ = json.NewEncoder(w).Encode(body)
}
