package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/auth"
)

// ReloadFunc rereads the configuration and applies it (reload.Reloader.Reload): what
// changed, what keeps its running value until a restart, or why nothing changed.
type ReloadFunc func(ctx context.Context) (ReloadResult, error)

// ReloadResult is the 200 answer of POST /-/reload.
type ReloadResult struct {
	// Applied are the configuration keys whose new values are in force
	// (auth.tokens, limits.rate_per_second…).
	Applied []string `json:"applied"`
	// RestartRequired are the keys that changed in the file but keep their running
	// value until duban restarts (listen, store.path…).
	RestartRequired []string `json:"restart_required"`
}

const (
	codeReloadFailed      = "reload_failed"
	codeReloadUnavailable = "reload_unavailable"
)

// reload: POST /-/reload, admin token only: rereads the configuration file and applies
// it, as SIGHUP does. 200 with what was applied; 500 reload_failed with the reason when
// the new configuration is refused, in which case the running one stays whole.
func reload(cfg Config) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := cfg.Auth.Authenticate(auth.BearerToken(c.GetHeader("Authorization")))
		if !ok {
			challenge(c, "send the admin token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
			return
		}
		if !adminOnly(c, id, codeAdminOnly, "only the admin token may reload the configuration (仅限督办管理员令牌)") {
			return
		}
		if cfg.Reload == nil {
			c.Set(ctxErrCode, codeReloadUnavailable)
			abortError(c, http.StatusNotImplemented, codeReloadUnavailable, "this collector cannot reload its configuration; restart it")
			return
		}
		res, err := cfg.Reload(c.Request.Context())
		if err != nil {
			c.Set(ctxErrCode, codeReloadFailed)
			abortError(c, http.StatusInternalServerError, codeReloadFailed,
				"the configuration was not reloaded and the running one stays in force: "+err.Error()+" (配置有误，未重新加载，仍使用原配置)")
			return
		}
		if res.Applied == nil {
			res.Applied = []string{}
		}
		if res.RestartRequired == nil {
			res.RestartRequired = []string{}
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, res)
	}
}
