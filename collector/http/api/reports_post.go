package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
	"github.com/duban-gov/duban/indicators"
)

// postResponse is the 201 answer of POST /api/v1/reports.
type postResponse struct {
	Accepted int                 `json:"accepted"`           // reports acknowledged (durable), replays included
	Replayed int                 `json:"replayed,omitempty"` // of which idempotency-key replays
	Receipts []collector.Receipt `json:"receipts"`           // with warnings: stored, but worth a look
}

// postReports: POST /api/v1/reports. Checks in a fixed order: token (401), rate (429),
// body size (413), JSON shape (400), then the collector's validation and authorization
// (400/403/413), then the store (503 when it fails). 201 only once the batch is durable.
func postReports(plans *planSet, policy func() *policy) gin.HandlerFunc {
	return func(c *gin.Context) {
		svc := plans.order[0]
		cred := credentialOf(c) // the gate (access.go) authenticated the bearer token
		id, ok := cred.id, cred.ok
		if !ok {
			challenge(c, "send a valid token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效; ask the supervision office for your department's token)")
			return
		}
		if !id.CanPush() {
			c.Set(ctxErrCode, codeReadOnlyToken)
			abortError(c, http.StatusForbidden, codeReadOnlyToken, fmt.Sprintf("a %s token reads but cannot push; push with your department's token (只读令牌不能报送)", id.Name()))
			return
		}
		p := id.Principal
		c.Set(ctxSender, p.Name())
		if ok, wait := cred.pol.lim.allow(id.Key); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			c.Set(ctxErrCode, codeRateLimited)
			c.Header("Retry-After", strconv.Itoa(secs))
			abortError(c, http.StatusTooManyRequests, codeRateLimited, fmt.Sprintf("too many requests for this token; retry after %d s, or send several reports in one batch (请求过于频繁)", secs))
			return
		}
		reports, n, locate, err := decodeBody(c, svc, plans, policy().set.MaxBodyBytes) // JSON, or .xlsx/CSV (upload.go)
		if err != nil {
			svc.CountRejected(p, n)
			fail(c, err)
			return
		}
		if svc, err = plans.route(reports); err != nil {
			svc = plans.order[0]
			svc.CountRejected(p, n)
			fail(c, err)
			return
		}
		receipts, err := svc.Submit(c.Request.Context(), p, reports, c.ClientIP())
		if err != nil {
			fail(c, locate(err))
			return
		}
		resp := postResponse{Accepted: len(receipts), Receipts: receipts}
		for _, r := range receipts {
			if r.Replayed {
				resp.Replayed++
			}
		}
		c.JSON(http.StatusCreated, resp)
	}
}

func fail(c *gin.Context, err error) {
	var ie *collector.InputError
	if errors.As(err, &ie) {
		c.Set(ctxErrCode, ie.Code)
	} else {
		c.Set(ctxErrCode, codeStoreUnavailable)
		c.Error(err) //nolint:errcheck // recorded for the log
	}
	abortInput(c, err)
}

// decodeReports reads the body (bounded) and decodes {"reports":[...]} strictly: unknown
// fields, trailing data and wrong types are errors naming the report index and field.
// It returns the number of reports seen, for the rejected count.
func decodeReports(c *gin.Context, limit int64) ([]indicators.Report, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, 1, collector.NewInputError(collector.KindTooLarge, collector.CodeBodyTooLarge, -1, "",
				"the body is larger than %d bytes; split the batch into smaller requests (请求体过大)", limit)
		}
		return nil, 1, collector.Invalid(collector.CodeMalformedJSON, -1, "", "could not read the body: %v", err)
	}
	// A UTF-8 byte order mark (Windows Notepad writes one) is no content.
	body = bytes.TrimPrefix(body, utf8BOM)
	// One strict pass decodes a well-formed batch; only when it fails is the body decoded
	// again report by report, to name the offending report and field. Both passes are
	// strict in the same way (no unknown field, exact key names, no key twice), so the
	// fast one accepts exactly what the slow one would.
	var fast struct {
		Reports *[]indicators.Report `json:"reports"`
	}
	if err := strictDecode(body, &fast); err == nil && fast.Reports != nil && len(*fast.Reports) > 0 && len(*fast.Reports) <= collector.MaxBatch {
		if _, bad := checkKeys(body); !bad {
			return *fast.Reports, len(*fast.Reports), nil
		}
	}
	var env struct {
		Reports *[]json.RawMessage `json:"reports"`
	}
	if err := strictDecode(body, &env); err != nil {
		return nil, 1, jsonError(-1, err)
	}
	if env.Reports == nil {
		return nil, 1, collector.Invalid(collector.CodeMissingField, -1, "reports",
			"the body must be {\"reports\":[{\"indicator\":\"57.1\",\"period\":\"2026-03\",\"value\":11800}]} (缺少reports)")
	}
	raw := *env.Reports
	if len(raw) == 0 {
		return nil, 1, collector.Invalid(collector.CodeEmptyBatch, -1, "reports", "the batch is empty: send at least one report in \"reports\" (没有报送数据)")
	}
	if len(raw) > collector.MaxBatch {
		return nil, len(raw), collector.NewInputError(collector.KindTooLarge, collector.CodeTooManyReports, -1, "reports",
			"%d reports in one batch; send at most %d per request (单次最多%d条)", len(raw), collector.MaxBatch, collector.MaxBatch)
	}
	out := make([]indicators.Report, len(raw))
	for i, m := range raw {
		if err := strictDecode(m, &out[i]); err != nil {
			return nil, len(raw), jsonError(i, err)
		}
		if p, bad := checkKeys(m); bad {
			return nil, len(raw), keyError(i, p)
		}
	}
	if p, bad := checkKeys(body); bad {
		return nil, len(raw), keyError(-1, p)
	}
	return out, len(raw), nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// keyError answers a key that is not written exactly as the API names it, or twice.
func keyError(index int, p keyProblem) *collector.InputError {
	where := "the body"
	if index >= 0 {
		where = fmt.Sprintf("report %d", index)
	}
	if p.duplicate {
		return located(index, collector.CodeMalformedJSON, p.key, "field %q appears twice in %s; send each field once (字段重复)", p.key, where)
	}
	return located(index, collector.CodeUnknownField, p.key,
		"unknown field %q in %s; field names are case-sensitive: a report has indicator, period, value, stage, percent, note, evidence, idempotency_key, reason, in lower case (未知字段，字段名区分大小写)", p.key, where)
}

// located is an input error about report index, or about the batch when index < 0.
func located(index int, code, field, format string, args ...any) *collector.InputError {
	return collector.Invalid(code, index, field, format, args...)
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("unexpected data after the JSON object")

// jsonError turns a decoding error into an input error; index -1 is the envelope.
func jsonError(index int, err error) *collector.InputError {
	mk := func(code, field, format string, args ...any) *collector.InputError {
		return collector.Invalid(code, index, field, format, args...)
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return mk(collector.CodeUnknownField, f, "unknown field %q; a report has indicator, period, value, stage, percent, note, evidence, idempotency_key, reason (未知字段)", f)
	case errors.As(err, &te):
		switch te.Field {
		case "value":
			return mk(collector.CodeInvalidValue, "value", "value must be a finite JSON number within float64 range, not %s (数值无效)", te.Value)
		case "percent":
			return mk(collector.CodeInvalidPercent, "percent", "percent must be a number from 0 to 100, not %s (完成百分比无效)", te.Value)
		case "":
			return mk(collector.CodeMalformedJSON, "", "expected a JSON object, found %s", te.Value)
		default:
			return mk(collector.CodeMalformedJSON, te.Field, "field %q must be a %s, not %s", te.Field, te.Type, te.Value)
		}
	case errors.As(err, &se):
		return mk(collector.CodeMalformedJSON, "", "the body is not valid JSON at byte %d: %v (JSON格式错误)", se.Offset, se)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return mk(collector.CodeMalformedJSON, "", "the body is empty or cut short; send a JSON object {\"reports\":[...]} (JSON不完整)")
	default:
		return mk(collector.CodeMalformedJSON, "", "the body is not valid JSON: %v (JSON格式错误)", err)
	}
}
