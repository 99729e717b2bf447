package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/http/api"
)

// slowPush opens a connection and sends the headers of a push with the token and the
// first bytes of its body, then nothing: the request holds an in-flight slot while its
// handler waits for the rest. The answer, if the server sends one, goes to answers.
func slowPush(t *testing.T, base, token, contentType string, answers chan<- int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() }) // the server has cut it already, or the test failed
	if _, err := fmt.Fprintf(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: 4000\r\n\r\n{\"rep", token, contentType); err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answers <- 0 // closed without an answer
			return
		}
		_ = resp.Body.Close() // only the status is counted
		answers <- resp.StatusCode
	}()
	return conn
}

// TestOneTokenCannotStarveTheOthers: one department holds many slow bodies (more than
// the whole in-flight limit); it gets its share and 503 beyond it, while another
// department's push, the admin's and an anonymous read still succeed.
func TestOneTokenCannotStarveTheOthers(t *testing.T) {
	const limit, share = 16, 0.25 // 4 requests per token
	f := newFixture(t, func(c *api.Config) { c.MaxConcurrent = limit; c.TokenShare = share })
	answers := make(chan int, 3*limit)
	for range 3 * limit { // 48 slow bodies from rsj, three times the whole limit
		slowPush(t, f.url, f.tokens["rsj"], "application/json", answers)
	}
	refused := 0
	for refused < 3*limit-4 {
		select {
		case code := <-answers:
			if code != http.StatusServiceUnavailable {
				t.Fatalf("a slow push beyond rsj's share answered %d, want 503", code)
			}
			refused++
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of rsj's slow pushes refused, want %d (its share is 4)", refused, 3*limit-4)
		}
	}
	// rsj's own share is full: its next push waits its turn…
	if resp, ans := f.push(f.tokens["rsj"], map[string]any{"indicator": "57.1", "period": "2026-05", "value": 1}); resp.StatusCode != http.StatusServiceUnavailable ||
		ans.Error.Code != "overloaded" || resp.Header.Get("Retry-After") == "" || !strings.Contains(ans.Error.Message, "this token") {
		t.Fatalf("rsj's push while it holds its share: %d %+v", resp.StatusCode, ans.Error)
	}
	// …while everyone else goes on.
	if resp, ans := f.push(f.tokens["fgw"], map[string]any{"indicator": "11.1", "period": "2026-05", "value": 1}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another department's push while rsj holds its share: %d %+v", resp.StatusCode, ans.Error)
	}
	if resp, ans := f.push(f.admin, map[string]any{"indicator": "11.1", "period": "2026-04", "value": 1}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("the admin's push: %d %+v", resp.StatusCode, ans.Error)
	}
	for _, p := range []string{"/api/v1/indicators", "/api/v1/indicators/11.1/reports", "/api/v1/departments"} {
		if resp := f.do(http.MethodGet, p, "", "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("anonymous GET %s while rsj holds its share: %d", p, resp.StatusCode)
		}
	}
	select {
	case code := <-answers:
		t.Fatalf("a slow push within rsj's share answered %d while its body was still coming", code)
	default:
	}
	if n := f.stored(); n != 2 {
		t.Fatalf("%d revisions stored, want the 2 pushes of fgw and admin", n)
	}
}

// TestAnonymousReadersShareOneClass: anonymous callers together hold one share; beyond
// it they get 503, and a caller with a token still gets in.
func TestAnonymousReadersShareOneClass(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	f := newFixture(t, func(c *api.Config) {
		c.MaxConcurrent, c.TokenShare = 8, 0.25 // 2 per token, 2 for all anonymous callers
		api.WithTestRoutes(c, func(r gin.IRouter) {
			r.GET("/api/v1/slow", func(c *gin.Context) { entered <- struct{}{}; <-release; c.Status(200) })
		})
	})
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			resp, err := http.Get(f.url + "/api/v1/slow")
			if err != nil {
				codes <- 0
				return
			}
			_ = resp.Body.Close() // only the status is counted
			codes <- resp.StatusCode
		})
	}
	<-entered
	<-entered
	var ans pushAnswer
	resp := f.do(http.MethodGet, "/api/v1/departments", "", "", &ans)
	if resp.StatusCode != http.StatusServiceUnavailable || ans.Error.Code != "overloaded" || !strings.Contains(ans.Error.Message, "anonymous") {
		t.Fatalf("a third anonymous read: %d %+v, want 503 overloaded naming the anonymous share", resp.StatusCode, ans.Error)
	}
	for name, tok := range map[string]string{"a department": f.tokens["fgw"], "a reader": f.reader} {
		if resp := f.do(http.MethodGet, "/api/v1/departments", tok, "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s reading while the anonymous share is full: %d", name, resp.StatusCode)
		}
	}
	if resp := f.do(http.MethodGet, "/-/ready", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the readiness probe: %d (exempt from every limit)", resp.StatusCode)
	}
	close(release)
	wg.Wait()
	for range 2 {
		if c := <-codes; c != 200 {
			t.Fatalf("a held anonymous read finished with %d", c)
		}
	}
}

// TestSlowBodiesAreCut: a body that arrives slower than the minimum rate is cut with
// 408 body_too_slow and the connection closed, whatever its content type; nothing is
// stored. A body at an honest pace, longer than the grace, goes through.
func TestSlowBodiesAreCut(t *testing.T) {
	const rate, grace = 200, 300 * time.Millisecond
	valid := `{"reports":[{"indicator":"57.1","period":"2026-05","value":18000,"note":"` + strings.Repeat("进展", 60) + `"}]}`
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, err := mw.CreateFormFile("file", "rsj.csv")
	if err == nil {
		_, err = io.WriteString(fw, "indicator,period,value\n57.1,2026-05,18000\n")
	}
	if err = errors.Join(err, mw.Close()); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		contentType string
		body        string
		chunk       int           // bytes per write
		pause       time.Duration // between writes
		code        int
	}{
		"a JSON body at 10 bytes/s is cut":        {"application/json", valid, 1, 100 * time.Millisecond, http.StatusRequestTimeout},
		"a CSV upload at 10 bytes/s is cut":       {"text/csv", "indicator,period,value\n57.1,2026-05,18000\n", 1, 100 * time.Millisecond, http.StatusRequestTimeout},
		"a multipart upload at 10 bytes/s is cut": {mw.FormDataContentType(), mp.String(), 1, 100 * time.Millisecond, http.StatusRequestTimeout},
		"a body that stops after its first bytes": {"application/json", valid, 20, time.Hour, http.StatusRequestTimeout},
		"a JSON body at 1000 bytes/s is stored":   {"application/json", valid, 50, 50 * time.Millisecond, http.StatusCreated},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(c *api.Config) { c.MinBodyRate, c.MinBodyGrace = rate, grace })
			conn, err := net.Dial("tcp", strings.TrimPrefix(f.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := fmt.Fprintf(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: duban\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
				f.tokens["rsj"], tc.contentType, len(tc.body)); err != nil {
				t.Fatal(err)
			}
			go func() { // the sender, at its pace; it stops when the server hangs up
				for b := []byte(tc.body); len(b) > 0; {
					n := min(tc.chunk, len(b))
					if _, err := conn.Write(b[:n]); err != nil {
						return
					}
					b = b[n:]
					time.Sleep(tc.pause)
				}
			}()
			if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tc.code)
			}
			if tc.code == http.StatusCreated {
				if n := f.stored(); n != 1 {
					t.Fatalf("%d revisions stored, want 1", n)
				}
				return
			}
			var ans pushAnswer
			if err := json.Unmarshal(body, &ans); err != nil || ans.Error == nil || ans.Error.Code != "body_too_slow" {
				t.Fatalf("answer %s, want the envelope with body_too_slow", body)
			}
			if !resp.Close {
				t.Error("the connection of a cut body is kept open")
			}
			if n := f.stored(); n != 0 {
				t.Fatalf("%d revisions stored from a cut body", n)
			}
			// Closed either way: EOF, or a reset when the server closed with the client's
			// unread bytes still in its receive buffer (the kernel answers those with RST).
			if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("after the 408 the connection is not closed: %v", err)
			}
		})
	}
}

// TestFinishedBodiesAreLeftAlone: once the whole body is in, the rate's deadline is
// gone: a handler that works longer than the grace afterwards keeps its request
// context and answers normally.
func TestFinishedBodiesAreLeftAlone(t *testing.T) {
	const grace = 200 * time.Millisecond
	f := newFixture(t, func(c *api.Config) {
		c.MinBodyRate, c.MinBodyGrace = 1000, grace
		api.WithTestRoutes(c, func(r gin.IRouter) {
			r.POST("/api/v1/work", func(c *gin.Context) {
				b, err := io.ReadAll(c.Request.Body)
				if err != nil {
					c.String(http.StatusBadRequest, "read: %v", err)
					return
				}
				select { // work for 3 graces, as a slow store would
				case <-time.After(3 * grace):
					c.String(http.StatusOK, "%d", len(b))
				case <-c.Request.Context().Done():
					c.String(http.StatusInternalServerError, "context canceled while working")
				}
			})
		})
	})
	for name, body := range map[string]string{"a small body": `{"x":1}`, "a larger body": strings.Repeat("x", 3000)} {
		t.Run(name, func(t *testing.T) {
			resp, got := f.request(http.MethodPost, "/api/v1/work", nil, strings.NewReader(body))
			if resp.StatusCode != http.StatusOK || string(got) != fmt.Sprint(len(body)) {
				t.Fatalf("%d %s", resp.StatusCode, got)
			}
		})
	}
}
