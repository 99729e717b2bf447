package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

const codeBodyTooSlow = "body_too_slow"

// errBodyTooSlow is what a body read returns once the body fell below the minimum rate.
var errBodyTooSlow = errors.New("the request body arrived too slowly")

// guardBodies protects the server from request bodies that take their time.
//
// It cuts bodies that arrive slower than rate bytes per second, the way Apache's
// mod_reqtimeout does (body=grace,MinRate=rate): the connection's read deadline starts
// grace after the headers and moves 1/rate s later with every byte received, never past
// limit (the server's http.read_timeout) when limit > 0. A body cut this way answers 408
// body_too_slow and the connection is closed; nothing of it is stored (the handler never
// saw a whole body). rate <= 0 turns the cut off. Without it a slow body holds its
// in-flight slot for the whole read_timeout; with it, for about grace. Rate and grace
// are the policy's (MinBodyRate, MinBodyGrace) when the request starts: a reload
// changes them for the requests after it, never for a body on its way.
//
// And an error answered before the body was read (401, 403, 429, 503: refused without
// looking at it) closes the connection: net/http would otherwise read up to 256 KiB of
// the body before sending the answer, so a slow sender would wait for its refusal as
// long as it keeps sending.
func guardBodies(policy func() *policy, limit time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if r.Body == nil || r.Body == http.NoBody {
			c.Next()
			return
		}
		set := policy().set
		rate, grace := set.MinBodyRate, set.MinBodyGrace
		start := time.Now()
		b := &minRateBody{ReadCloser: r.Body, rc: http.NewResponseController(c.Writer), start: start, rate: float64(rate), grace: grace}
		if limit > 0 {
			b.limit = start.Add(limit)
		}
		if rate > 0 && b.rc.SetReadDeadline(b.deadline()) == nil {
			b.set = b.deadline()
		} else {
			b.rate = 0 // off, or a writer without deadlines (not net/http's): read_timeout still bounds the body
		}
		r.Body = b
		w := &slowBodyWriter{ResponseWriter: c.Writer, body: b}
		c.Writer = w
		c.Next()
		c.Writer = w.ResponseWriter
		if !w.dropped {
			return
		}
		// The handler failed because the body stopped arriving: say so instead.
		h := c.Writer.Header()
		h.Del("Retry-After")
		h.Set("Connection", "close")
		c.Set(ctxErrCode, codeBodyTooSlow)
		abortError(c, http.StatusRequestTimeout, codeBodyTooSlow, fmt.Sprintf(
			"the body arrived slower than %d bytes/s (after %s); nothing was stored, send it again on a better connection (上传过慢，请重新发送)", rate, grace))
	}
}

// minRateBody is a request body whose read deadline follows the bytes received.
type minRateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	rate  float64 // bytes per second; 0: no deadline, only watch for the end
	grace time.Duration
	limit time.Time // zero: none
	set   time.Time // the deadline in force
	n     int64     // bytes read so far
	eof   bool
	slow  bool // the deadline passed: the body is cut
}

func (b *minRateBody) deadline() time.Time {
	d := b.start.Add(b.grace + time.Duration(float64(b.n)/b.rate*float64(time.Second)))
	if !b.limit.IsZero() && d.After(b.limit) {
		d = b.limit
	}
	return d
}

// Read moves the deadline on with the bytes received. Once the body has ended it leaves
// the deadline alone: net/http then clears it and watches the idle connection for the
// client going away, and a deadline set now would cancel the request's context while
// the handler still works (the next request sets its own deadlines).
func (b *minRateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && err == nil && b.rate > 0 {
		b.n += int64(n)
		if d := b.deadline(); d.After(b.set) && b.rc.SetReadDeadline(d) == nil {
			b.set = d
		}
	}
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		b.slow = true
		return n, errBodyTooSlow
	}
	return n, err
}

// slowBodyWriter holds back the error answer of a handler whose body was cut, so that
// the middleware answers 408 in its place, and closes the connection after an error
// answered before the body was read. Other answers pass through untouched.
type slowBodyWriter struct {
	gin.ResponseWriter
	body    *minRateBody
	dropped bool
}

func (w *slowBodyWriter) WriteHeader(code int) {
	if code >= 400 && w.body.slow {
		w.dropped = true
		return
	}
	if code >= 400 && !w.body.eof {
		w.Header().Set("Connection", "close")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *slowBodyWriter) WriteHeaderNow() {
	if !w.dropped {
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *slowBodyWriter) Write(p []byte) (int, error) {
	if w.dropped {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *slowBodyWriter) WriteString(s string) (int, error) {
	if w.dropped {
		return len(s), nil
	}
	return w.ResponseWriter.WriteString(s)
}
