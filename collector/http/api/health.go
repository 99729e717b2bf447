package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// healthy: GET /-/healthy. The process answers.
func healthy(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "healthy"})
}

// ready: GET /-/ready. 200 when reports can be accepted (detail "ok", or "degraded: …"
// while a remote store spools), 503 otherwise.
func ready(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, detail := svc.Ready(c.Request.Context())
		if !ok {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not_ready", "detail": detail})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "detail": detail})
	}
}
