package testenv

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/notify"
)

// WeComRobot is a notifier whose one robot, dept's WeCom robot, is a local stand-in for
// the remote service that answers ok to every message; received returns the messages
// it got, in order.
func WeComRobot(t testing.TB, dept string) (n *notify.Notifier, received func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(robot.Close)
	urlFile := filepath.Join(t.TempDir(), dept+"-wecom-url")
	if err := os.WriteFile(urlFile, []byte(robot.URL+"/cgi-bin/webhook/send?key=K"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(notify.Config{Robots: []notify.Robot{{Department: dept, Kind: notify.KindWeCom, URLFile: urlFile}}, Attempts: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return n, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}
