package influx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ql reads through InfluxQL on the v1-compatible /query endpoint, which InfluxDB 1.8,
// 2.x (through a DBRP mapping) and 3.x all serve: plain HTTP, answers in JSON with
// times as integer nanoseconds, streamed in chunks so that a large answer never sits
// whole in memory.
type ql struct {
	endpoint string // base URL + /query
	db, rp   string
	token    string
	client   *http.Client
}

// newQL derives the database and retention policy from the bucket: "db/rp" (InfluxDB
// 1.8, or a 2.x DBRP mapping named so) or "bucket" (the database of a 2.x DBRP mapping
// or a 3.x database; the default retention policy).
func newQL(base, bucket, token string, timeout time.Duration) *ql {
	db, rp, _ := strings.Cut(bucket, "/")
	return &ql{
		endpoint: strings.TrimSuffix(base, "/") + "/query",
		db:       db, rp: rp, token: token,
		client: &http.Client{Timeout: timeout + 5*time.Second},
	}
}

// qlError is an answer of InfluxDB other than rows: a refused query (status 4xx or an
// error inside the results) or an overloaded server (5xx, 429).
type qlError struct {
	status int // HTTP status; 200 for an error inside the results
	msg    string
}

func (e *qlError) Error() string {
	return fmt.Sprintf("influx: query: status %d: %s", e.status, e.msg)
}

// retryable: the server is away or overloaded, as opposed to refusing this query.
func (e *qlError) retryable() bool {
	return e.status >= 500 || e.status == http.StatusTooManyRequests || e.status == http.StatusRequestTimeout
}

// qlSeries is one series of an answer: its tags (GROUP BY) and rows.
type qlSeries struct {
	Stmt    int               `json:"-"` // the statement it answers (0 for the first)
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// col returns the index of a column, or -1.
func (s *qlSeries) col(name string) int {
	for i, c := range s.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

type qlResponse struct {
	Results []struct {
		StatementID int        `json:"statement_id"`
		Series      []qlSeries `json:"series"`
		Error       string     `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// query runs one InfluxQL statement (several separated by ";" answer in order, each
// series telling its statement in Stmt) and calls fn for every series chunk, in the
// order InfluxDB sends them. Numbers arrive as json.Number (integers stay exact).
func (q *ql) query(ctx context.Context, stmt string, fn func(*qlSeries) error) error {
	_, err := q.queryDated(ctx, stmt, fn)
	return err
}

// queryDated is query, and also returns the server's clock when it answered (the Date
// header, to the second; zero when absent): points written without a timestamp carry
// that clock.
func (q *ql) queryDated(ctx context.Context, stmt string, fn func(*qlSeries) error) (date time.Time, err error) {
	form := url.Values{"q": {stmt}, "db": {q.db}, "epoch": {"ns"}, "chunked": {"true"}, "chunk_size": {"10000"}}
	if q.rp != "" {
		form.Set("rp", q.rp)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if q.token != "" {
		req.Header.Set("Authorization", "Token "+q.token)
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("influx: query: %w", err)
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	date, _ = http.ParseTime(resp.Header.Get("Date"))
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096)) // what it says, when it says it; the status is the error
		var r qlResponse
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &r) == nil && r.Error != "" {
			msg = r.Error
		}
		return date, &qlError{status: resp.StatusCode, msg: msg}
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	for {
		var r qlResponse
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return date, nil
			}
			return date, fmt.Errorf("influx: query answer: %w", err)
		}
		if r.Error != "" {
			return date, &qlError{status: http.StatusOK, msg: r.Error}
		}
		for i := range r.Results {
			if e := r.Results[i].Error; e != "" {
				return date, &qlError{status: http.StatusOK, msg: e}
			}
			for j := range r.Results[i].Series {
				sr := &r.Results[i].Series[j]
				sr.Stmt = r.Results[i].StatementID
				if err := fn(sr); err != nil {
					return date, err
				}
			}
		}
	}
}

// serverTime asks InfluxDB for its clock (the Date header of /ping, to the second).
// Points written without a timestamp carry that clock, so it is what "since" compares to.
func (q *ql) serverTime(ctx context.Context) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(q.endpoint, "/query")+"/ping", nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("influx: ping: %w", err)
	}
	if err := resp.Body.Close(); err != nil { // a ping has no body; only its Date is read
		return time.Time{}, fmt.Errorf("influx: ping: %w", err)
	}
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return time.Time{}, fmt.Errorf("influx: ping: no Date header: %w", err)
	}
	return t, nil
}

// InfluxQL literals. A string literal escapes the backslash, the quote and the line
// feed (the only escapes InfluxQL's scanner knows; a raw line feed ends the literal).

var qlStringEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)

// qlString quotes s as an InfluxQL string literal.
func qlString(s string) string { return "'" + qlStringEscaper.Replace(s) + "'" }

var qlIdentEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// qlIdent quotes s as an InfluxQL identifier.
func qlIdent(s string) string { return `"` + qlIdentEscaper.Replace(s) + `"` }

// qlTime renders an instant for a time condition (integer nanoseconds).
func qlTime(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// qlAnyOf renders (name = 'a' OR name = 'b' ...) for a tag or field; an equality on a
// tag is answered from InfluxDB's index.
func qlAnyOf(name string, values []string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(qlIdent(name))
		b.WriteString(" = ")
		b.WriteString(qlString(v))
	}
	b.WriteByte(')')
	return b.String()
}

// Values of a row, typed. JSON numbers come as json.Number; absent fields as nil.

func vString(v any) string {
	s, _ := v.(string)
	return s
}

func vInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		if f, err := n.Float64(); err == nil {
			return int64(f), true
		}
	case float64:
		return int64(n), true
	}
	return 0, false
}

func vFloat(v any) *float64 {
	switch n := v.(type) {
	case json.Number:
		if f, err := n.Float64(); err == nil {
			return &f
		}
	case float64:
		return &n
	}
	return nil
}
