package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the OpenAPI 3 document of the API, served at /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

func openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", OpenAPI)
}
