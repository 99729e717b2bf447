// Command gencatalog writes a synthetic catalog of N cumulative indicators spread over
// departments, to size the collector for a province (~30,000) and beyond (100,000).
//
//	go run ./bench/gencatalog -n 100000 > /tmp/cat100k.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/duban-gov/duban/indicators"
)

func main() {
	n := flag.Int("n", 10000, "indicators")
	perDept := flag.Int("per-department", 200, "indicators per department")
	format := flag.String("format", "json", "json (loads several times faster) | yaml")
	flag.Parse()
	c := catalog(*n, *perDept)
	write := c.WriteJSON
	if *format == "yaml" {
		write = c.WriteYAML
	}
	if err := write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
}

func catalog(n, perDept int) *indicators.Catalog {
	c := &indicators.Catalog{Plan: indicators.Plan{
		ID: fmt.Sprintf("synthetic-%d", n), Title: fmt.Sprintf("合成目标清单(%d项)", n),
		Issuer: "合成省人民政府办公室", Document: "合政办函〔2026〕1号", Year: 2026, TimeZone: "Asia/Shanghai",
	}}
	for i := 0; i < n; i++ {
		d := i / perDept
		if i%perDept == 0 {
			c.Departments = append(c.Departments, indicators.Department{ID: fmt.Sprintf("d%04d", d), Name: fmt.Sprintf("第%d部门", d)})
		}
		num := i + 1
		c.Tasks = append(c.Tasks, indicators.Task{
			Num: num, Lead: fmt.Sprintf("d%04d", d), Text: fmt.Sprintf("合成任务%d:新增就业%d人以上。", num, 1000+i%5000),
			Targets: []indicators.Target{{
				ID: fmt.Sprintf("%d.1", num), Metric: fmt.Sprintf("合成指标%d", num), Measure: indicators.Cumulative,
				Comparator: indicators.GE, Value: float64(1000 + i%5000), Unit: "人", Due: "2026-12-31",
			}},
		})
	}
	return c
}
