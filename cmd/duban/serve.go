package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newServeCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("serve: not built yet")
		},
	}
}
