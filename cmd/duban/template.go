package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/config"
	"github.com/duban-gov/duban/indicators/catalogs"
	"github.com/duban-gov/duban/sheets"
)

func newTemplateCmd(s streams) *cobra.Command {
	var dept, period, out, server, catalog, tokenFile string
	cmd := &cobra.Command{
		Use:   "template --department ID --period 2026-03 [--out FILE]",
		Short: "Write a department's Excel fill-in template for a period",
		Long: `Write the department's reporting sheet (.xlsx): one row per indicator it leads with
its id, name, unit, target and last reported value, an empty value column to fill
(decimal validation), a stage drop-down and percent for milestones, and a note column.
With --server the template comes from the running collector (with the last values
reported; --token-file or $DUBAN_TOKEN when the collector has auth.read: token);
otherwise it is built from --catalog. Fill it and send it back with
` + "`duban push FILE.xlsx`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dept == "" || period == "" {
				return fmt.Errorf("template: give --department ID and --period (e.g. 2026-03)")
			}
			if out == "" {
				out = fmt.Sprintf("duban-template-%s-%s.xlsx", dept, period)
			}
			var data []byte
			if server != "" {
				ctx, cancel := context.WithTimeout(cmd.Context(), 60*time.Second)
				defer cancel()
				u := fmt.Sprintf("%s/api/v1/templates/%s?period=%s", strings.TrimRight(server, "/"), url.PathEscape(dept), url.QueryEscape(period))
				token, err := readTokenOptional(tokenFile)
				if err != nil {
					return err
				}
				b, err := getFromServer(ctx, u, token)
				if err != nil {
					return fmt.Errorf("template from %s: %w", server, err)
				}
				data = b
			} else {
				cat, err := catalogs.Load(catalog)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				if err := sheets.WriteTemplate(&buf, sheets.TemplateConfig{Catalog: cat, Department: dept, Period: period}); err != nil {
					return err
				}
				data = buf.Bytes()
			}
			return writeOut(s, out, data)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dept, "department", "", "department id (see `duban validate` or GET /api/v1/departments)")
	f.StringVar(&period, "period", "", "reporting period: 2026-03, 2026-Q1 or 2026-06-30")
	f.StringVar(&out, "out", "", "output file (default duban-template-<department>-<period>.xlsx; - for stdout)")
	f.StringVar(&server, "server", "", "collector URL: fetch the template with the last reported values")
	f.StringVar(&catalog, "catalog", config.Defaults().Catalog, "catalog file, or embedded:NAME for a shipped one (without --server)")
	f.StringVar(&tokenFile, "token-file", "", "with --server: file holding a token, when reads need one (auth.read: token); default: $DUBAN_TOKEN")
	return cmd
}
