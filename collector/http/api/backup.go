package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/duban-gov/duban/collector/auth"
)

// BackupFunc writes a consistent copy of the store to w, calling size with its length
// before the first byte (boltstore.Store.Backup).
type BackupFunc func(ctx context.Context, w io.Writer, size func(int64)) (int64, error)

const (
	codeAdminOnly         = "admin_only"
	codeBackupUnavailable = "backup_unavailable"
)

// backup: GET /-/backup, admin token only. Streams a copy of the embedded store taken
// in one read transaction while the collector goes on serving (the serving process
// holds the file's lock, so this is the way to copy it without stopping). The answer
// is the store file itself: save it, `duban store check` it, and it restores as
// duban.db. `duban store backup FILE --server URL` does all of that.
func backup(cfg Config) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := cfg.Auth.Authenticate(auth.BearerToken(c.GetHeader("Authorization")))
		if !ok {
			challenge(c, "send the admin token as \"Authorization: Bearer TOKEN\" (令牌缺失或无效)")
			return
		}
		if !adminOnly(c, id, codeAdminOnly, "a backup holds every department's reports: only the admin token may take one (仅限督办管理员令牌)") {
			return
		}
		if cfg.Backup == nil {
			c.Set(ctxErrCode, codeBackupUnavailable)
			abortError(c, http.StatusNotImplemented, codeBackupUnavailable, "this collector's store has no backup here: with store.kind influxdb, back up InfluxDB with its own tools (influx backup); the spool holds only batches in transit")
			return
		}
		// A large store takes longer than http.write_timeout to send.
		_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
		start := time.Now()
		started := false
		n, err := cfg.Backup(c.Request.Context(), c.Writer, func(size int64) {
			h := c.Writer.Header()
			h.Set("Content-Type", "application/octet-stream")
			h.Set("Content-Length", strconv.FormatInt(size, 10))
			h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="duban-%s.db"`, start.UTC().Format("20060102T150405Z")))
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			c.Status(http.StatusOK)
			started = true
		})
		if err != nil {
			c.Error(err) //nolint:errcheck // recorded for the log
			if !started {
				c.Set(ctxErrCode, codeStoreUnavailable)
				c.Header("Retry-After", "1")
				abortError(c, http.StatusServiceUnavailable, codeStoreUnavailable, "the store could not be read for a backup; retry later (存储暂不可用)")
				return
			}
			// Part of the copy is out: cut the connection so that the client sees a
			// short body, never a complete-looking file.
			cfg.Logger.Warn("backup cut short", "bytes", n, "err", err)
			panic(http.ErrAbortHandler)
		}
		cfg.Logger.Info("backup sent", "bytes", n, "duration", time.Since(start))
	}
}
