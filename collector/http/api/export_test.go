package api

import "github.com/gin-gonic/gin"

// WithTestRoutes adds routes of a test beside the API's own, behind the same limits
// (slow handlers that hold a slot, to test the concurrency shares). Tests only.
func WithTestRoutes(c *Config, routes func(r gin.IRouter)) { c.testRoutes = routes }
