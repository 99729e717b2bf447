package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/collector/auth"
)

func newTokenCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage push tokens",
	}
	var dept string
	var admin bool
	create := &cobra.Command{
		Use:   "create (--department ID | --admin)",
		Short: "Print a new random token once, and the config line holding its sha256",
		Long: `Print a new random token (32 random bytes, base64url) and the line to add under
auth.tokens in the configuration. duban keeps only the hash: give the token to the
department now, it cannot be shown again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (dept == "") == !admin {
				return errors.New("token create: give exactly one of --department ID or --admin")
			}
			tok, err := auth.Generate()
			if err != nil {
				return err
			}
			who := "role: " + auth.RoleAdmin
			if dept != "" {
				who = "department: " + dept
			}
			_, err = fmt.Fprintf(s.out, "token: %s\n# add under auth.tokens in the configuration:\n    - {%s, sha256: %s}\n", tok, who, auth.Hash(tok))
			return err
		},
	}
	create.Flags().StringVar(&dept, "department", "", "department id the token writes for")
	create.Flags().BoolVar(&admin, "admin", false, "a supervision-office token that writes and corrects any indicator")
	cmd.AddCommand(create)
	return cmd
}
