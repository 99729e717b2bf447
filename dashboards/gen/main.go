// Command gen regenerates the dashboards, Grafana provisioning and compose Prometheus
// configuration (`go generate ./dashboards/...`); `duban dashboards generate` does the same.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/duban-gov/duban/dashboards"
)

func main() {
	root := flag.String("root", "..", "repository root, to find the default catalog")
	catalog := flag.String("catalog", "", "catalog file (YAML or JSON); default: the shipped catalog under --root")
	out := flag.String("out", ".", "output directory (the dashboards/ folder)")
	flag.Parse()
	if *catalog == "" {
		*catalog = dashboards.CatalogPath(*root)
	}
	if err := run(*catalog, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dashboards generate:", err)
		os.Exit(1)
	}
}

func run(catalog, out string) error {
	_, err := dashboards.Regenerate(catalog, out)
	return err
}
