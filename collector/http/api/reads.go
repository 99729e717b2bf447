package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// getHead registers h for GET and HEAD: every read answers HEAD with the headers of
// its GET (net/http sends no body for HEAD).
var getHead = []string{http.MethodGet, http.MethodHead}

// Reads (GET and HEAD) of the API, the board and the bulletins are answered from a
// buffer, which gives them what HTTP clients and proxies expect:
//
//   - ETag: a strong validator computed from the response bytes (sha256, 128 bits,
//     base64url), suffixed "-gzip" on the gzip-coded representation, as RFC 9110 wants a
//     strong validator to differ per content coding. From the bytes rather than a
//     version counter of the snapshot because every read also depends on the clock (the
//     evaluation, the completeness of the month, the board's "now"): the same reports
//     an hour later can be another page, and a counter would call it the same. Hashing
//     costs about a millisecond per megabyte; the answer is built in memory anyway
//     (gin renders JSON to a byte slice first, the board and bulletins to a buffer).
//   - If-None-Match: a 304 without a body when it names the current ETag (weak
//     comparison, either coding, or "*").
//   - gzip when the request accepts it (q > 0), for text, JSON, XML and SVG answers of
//     at least 1 KiB; spreadsheets (already zip-compressed) and images are sent as they
//     are. Vary: Accept-Encoding on every compressible answer.
//
// Only 200 answers get an ETag and compression; errors pass through unchanged. Paths
// for which skip is true (/metrics, which compresses itself and is too large to
// buffer) are not buffered.
func readCache(skip func(path string) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		m := c.Request.Method
		if (m != http.MethodGet && m != http.MethodHead) || skip(c.Request.URL.Path) {
			c.Next()
			return
		}
		orig := c.Writer
		bw := &bufferedWriter{ResponseWriter: orig}
		c.Writer = bw
		// HEAD runs the GET handler, so that headers, length and ETag are the GET's
		// (http.FileServer would otherwise write no body to hash); the body is dropped.
		head := m == http.MethodHead
		if head {
			c.Request.Method = http.MethodGet
		}
		defer func() {
			if head {
				c.Request.Method = http.MethodHead
			}
			c.Writer = orig
			bw.flush(c.Request)
		}()
		c.Next()
	}
}

// bufferedWriter holds the status and body of a read until the handler is done;
// headers go to the real writer's map directly.
type bufferedWriter struct {
	gin.ResponseWriter
	status  int
	written bool
	buf     bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if code > 0 && !w.written {
		w.status = code
	}
}

func (w *bufferedWriter) WriteHeaderNow() { w.written = true }

func (w *bufferedWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.buf.Write(b)
}

func (w *bufferedWriter) WriteString(s string) (int, error) {
	w.written = true
	return w.buf.WriteString(s)
}

func (w *bufferedWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *bufferedWriter) Size() int {
	if !w.written {
		return -1
	}
	return w.buf.Len()
}

func (w *bufferedWriter) Written() bool { return w.written }

func (w *bufferedWriter) Flush() {} // buffered: flushed once at the end

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *bufferedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// minGzip is the smallest body worth compressing (below, gzip's 18-byte frame and the
// CPU cost outweigh the saving).
const minGzip = 1024

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// flush sends the buffered answer through the real writer.
func (w *bufferedWriter) flush(r *http.Request) {
	out := w.ResponseWriter
	status := w.Status()
	body := w.buf.Bytes()
	h := out.Header()
	if status != http.StatusOK {
		out.WriteHeader(status)
		out.WriteHeaderNow() // sent, also without a body: gin adds no default text
		if r.Method != http.MethodHead {
			_, _ = out.Write(body)
		}
		return
	}
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:16])
	compressible := compressibleType(h.Get("Content-Type")) && h.Get("Content-Encoding") == ""
	if compressible {
		h.Add("Vary", "Accept-Encoding")
	}
	zip := compressible && len(body) >= minGzip && acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := `"` + tag + `"`
	if zip {
		etag = `"` + tag + `-gzip"`
	}
	h.Set("ETag", etag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Disposition"} {
			h.Del(k)
		}
		out.WriteHeader(http.StatusNotModified)
		out.WriteHeaderNow()
		return
	}
	if zip {
		var zb bytes.Buffer
		zb.Grow(len(body) / 4)
		gz := gzipWriters.Get().(*gzip.Writer)
		gz.Reset(&zb)
		_, _ = gz.Write(body)
		_ = gz.Close()
		gz.Reset(nil)
		gzipWriters.Put(gz)
		body = zb.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	out.WriteHeader(status)
	out.WriteHeaderNow()
	if r.Method != http.MethodHead {
		_, _ = out.Write(body)
	}
}

// compressibleType: text, JSON, XML and SVG; not spreadsheets, archives or images.
func compressibleType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"):
		return true
	case mt == "application/json", mt == "application/xml", mt == "application/javascript", mt == "image/svg+xml":
		return true
	case strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml") && strings.HasPrefix(mt, "application/"):
		return true
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip) with a q-value above 0, or, when
// gzip is not named, * with a q-value above 0.
func acceptsGzip(header string) bool {
	gzipQ, starQ := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch coding {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			starQ = max(starQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// noneMatch reports whether an If-None-Match header names the resource version tag
// (weak comparison: W/ ignored, either content coding).
func noneMatch(header, tag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		v := strings.TrimSpace(part)
		if v == "*" {
			return true
		}
		v = strings.TrimPrefix(v, "W/")
		v = strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`)
		if strings.TrimSuffix(v, "-gzip") == tag {
			return true
		}
	}
	return false
}
