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
		Short: "Manage push, read and scrape tokens",
	}
	var dept string
	var admin, reader, metrics bool
	create := &cobra.Command{
		Use:   "create (--department ID | --admin | --reader | --metrics)",
		Short: "Print a new random token once, and the config line holding its sha256",
		Long: `Print a new random token (32 random bytes, base64url) and the line to add under
auth.tokens in the configuration. duban keeps only the hash: give the token to the
department now, it cannot be shown again.

--reader makes a read-only token (board, API reads, bulletins; for auth.read: token),
--metrics a scrape token for Prometheus (/metrics only): write it to a file readable by
Prometheus and point the scrape job's authorization.credentials_file at it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n := 0
			for _, set := range []bool{dept != "", admin, reader, metrics} {
				if set {
					n++
				}
			}
			if n != 1 {
				return errors.New("token create: give exactly one of --department ID, --admin, --reader or --metrics")
			}
			tok, err := auth.Generate()
			if err != nil {
				return err
			}
			var who string
			switch {
			case dept != "":
				who = "department: " + dept
			case admin:
				who = "role: " + auth.RoleAdmin
			case reader:
				who = "role: " + auth.RoleReader
			default:
				who = "role: " + auth.RoleMetrics
			}
			_, err = fmt.Fprintf(s.out, "token: %s\n# add under auth.tokens in the configuration:\n    - {%s, sha256: %s}\n", tok, who, auth.Hash(tok))
			return err
		},
	}
	create.Flags().StringVar(&dept, "department", "", "department id the token writes for")
	create.Flags().BoolVar(&admin, "admin", false, "a supervision-office token that writes and corrects any indicator")
	create.Flags().BoolVar(&reader, "reader", false, "a read-only token: board, API reads, bulletins, /metrics")
	create.Flags().BoolVar(&metrics, "metrics", false, "a scrape token for Prometheus: /metrics only")
	cmd.AddCommand(create)
	return cmd
}
