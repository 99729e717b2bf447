package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/dashboards"
)

func newDashboardsCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dashboards",
		Short: "Grafana dashboards, provisioning and alert rules generated from the catalog",
	}
	var catalog, out, root string
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write the dashboards (generated/) and the Grafana and Prometheus provisioning (provisioning/) into --out",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if catalog == "" {
				catalog = dashboards.CatalogPath(root)
			}
			names, err := dashboards.Regenerate(catalog, out)
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintf(s.err, "wrote %s/%s\n", out, n)
			}
			return nil
		},
	}
	gen.Flags().StringVar(&catalog, "catalog", "", "catalog file (default: "+dashboards.DefaultCatalog+" under --root)")
	gen.Flags().StringVar(&root, "root", ".", "repository root, to find the default catalog")
	gen.Flags().StringVar(&out, "out", "dashboards", "output directory")
	cmd.AddCommand(gen)
	return cmd
}
