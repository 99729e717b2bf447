package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newDashboardsCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "dashboards",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("dashboards: not built yet")
		},
	}
}
