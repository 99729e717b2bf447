package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector"
)

// errorBody is the envelope of every error answer:
// {"error":{"code":"snake_case","message":"what to fix","index":N,"field":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Index   *int   `json:"index,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Codes of errors answered by the API itself (input errors come from collector).
const (
	codeUnauthorized          = "unauthorized"
	codeRateLimited           = "rate_limited"
	codeOverloaded            = "overloaded"
	codeNotFound              = "not_found"
	codeStoreUnavailable      = "store_unavailable"
	codeInvalidStatus         = "invalid_status"
	codeInvalidKind           = "invalid_kind"
	codeUnknownDepartment     = "unknown_department"
	codeEvaluationUnavailable = "evaluation_unavailable"
	codeInternal              = "internal_error"
)

// abortError answers an error with the envelope and stops the handler chain.
func abortError(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// abortInput answers a *collector.InputError, or a 503 for any other error (the store's).
func abortInput(c *gin.Context, err error) {
	var ie *collector.InputError
	if !errors.As(err, &ie) {
		c.Header("Retry-After", "1")
		abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "the reports were not stored (store unavailable); nothing of the batch was kept, send it again later (存储暂不可用，请稍后重试)")
		return
	}
	d := errorDetail{Code: ie.Code, Message: ie.Message, Field: ie.Field}
	if ie.Index >= 0 {
		i := ie.Index
		d.Index = &i
	}
	c.AbortWithStatusJSON(inputStatus(ie.Kind), errorBody{Error: d})
}

// inputStatus is the HTTP status of a kind of input error.
func inputStatus(k collector.Kind) int {
	switch k {
	case collector.KindForbidden:
		return http.StatusForbidden
	case collector.KindConflict:
		return http.StatusConflict
	case collector.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case collector.KindUnsupported:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}
