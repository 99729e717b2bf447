package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

type departmentView struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Tasks      []int    `json:"tasks"`      // tasks it leads
	Indicators []string `json:"indicators"` // indicators it leads (and may report)
}

// listDepartments: GET /api/v1/departments. Every department of the catalog with the
// tasks and indicators it leads.
func listDepartments(svc Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		cat := svc.Catalog()
		out := make([]departmentView, 0, len(cat.Departments))
		at := map[string]int{}
		for _, d := range cat.Departments {
			at[d.ID] = len(out)
			out = append(out, departmentView{ID: d.ID, Name: d.Name, Tasks: []int{}, Indicators: []string{}})
		}
		for _, t := range cat.Tasks {
			i, ok := at[t.Lead]
			if !ok {
				continue
			}
			out[i].Tasks = append(out[i].Tasks, t.Num)
			for _, tg := range t.Targets {
				out[i].Indicators = append(out[i].Indicators, tg.ID)
			}
		}
		c.JSON(http.StatusOK, gin.H{"departments": out})
	}
}
