package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/indicators"
	"github.com/duban-gov/duban/indicators/document"
	"github.com/duban-gov/duban/indicators/notice"
)

func newImportCmd(s streams) *cobra.Command {
	var format, overlay, planID string
	var year int
	var followUps bool
	cmd := &cobra.Command{
		Use:   "import [--format yaml|json] [--overlay FILE] NOTICE",
		Short: "Parse a published target-list notice into a catalog and print it",
		Long: `Parse a target-list notice (e.g. 政府工作报告重点目标任务清单, 民生实事, 目标责任书) into a
catalog: plan, departments, tasks and targets. The notice may be plain text (.txt, UTF-8 or
GB18030), a web page as saved by a browser (.html/.htm/.mht), a Word document (.docx) or an
Excel workbook (.xlsx); the content decides when the extension is wrong. Hand corrections
in an overlay file (--overlay) are applied after the import. Each task without a
published figure or stage gets a follow-up target (kind: task, a milestone "completed" by
the task's deadline or the year end) unless --follow-up-tasks=false. The catalog goes to
stdout; warnings go to stderr as NOTICE:LINE: message (NOTICE:paragraph N: for Word,
NOTICE:table N row M: for table rows). Fails when the notice has no tasks.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != "yaml" && format != "json" {
				return fmt.Errorf("import: --format must be yaml or json, not %q", format)
			}
			doc, err := readNotice(args[0])
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			var ov *indicators.Overlay
			if overlay != "" {
				if ov, err = indicators.LoadOverlay(overlay); err != nil {
					return fmt.Errorf("import: %w", err)
				}
			}
			c, warns, err := notice.ImportDocument(doc, notice.Options{PlanID: planID, Source: args[0], Year: year, FollowUpTasks: followUps}, ov)
			for _, w := range warns {
				if where := w.Where(); where != "" {
					s.notef("%s:%s: %s\n", args[0], where, w.Msg)
				} else {
					s.notef("%s: %s\n", args[0], w.Msg)
				}
			}
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if len(c.Tasks) == 0 {
				return fmt.Errorf("import: %s: no tasks found", args[0])
			}
			if format == "json" {
				return c.WriteJSON(s.out)
			}
			return c.WriteYAML(s.out)
		},
	}
	cmd.Flags().StringVar(&format, "format", "yaml", "output format: yaml or json")
	cmd.Flags().StringVar(&overlay, "overlay", "", "hand corrections to apply (YAML overlay file)")
	cmd.Flags().StringVar(&planID, "plan-id", "", "plan id (default: pinyin of the city + year, e.g. changzhi-2026)")
	cmd.Flags().IntVar(&year, "year", 0, "plan year when the notice names none")
	cmd.Flags().BoolVar(&followUps, "follow-up-tasks", true, "give each task without a published figure or stage a follow-up milestone (kind: task) so it is reported on monthly")
	return cmd
}

// readNotice reads a notice file of any format, bounded in size.
func readNotice(name string) (doc *document.Document, err error) {
	lim := document.Limits{}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	data, err := io.ReadAll(io.LimitReader(f, 64<<20+1))
	if err != nil {
		return nil, err
	}
	return document.Read(name, data, lim)
}
