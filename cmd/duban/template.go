package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newTemplateCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "template",
		Short: "not built yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("template: not built yet")
		},
	}
}
