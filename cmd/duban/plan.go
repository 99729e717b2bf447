package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// duban plan close|reopen PLAN_ID: the office closes a plan whose year is over (no
// department reports it any more; it stays readable) or reopens one closed by mistake,
// through the server's POST /api/v1/plans/{plan}/close|reopen with the admin token, so
// that the record lands in the store every replica reads.
func newPlanCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Close or reopen a plan on a running collector (admin token)",
	}
	cmd.AddCommand(planClosureCmd(s, true), planClosureCmd(s, false))
	return cmd
}

func planClosureCmd(s streams, closed bool) *cobra.Command {
	var server, tokenFile, reason string
	var timeout time.Duration
	verb, short := "close", "Close a plan: its year is over, its final bulletin out; departments can no longer report into it"
	if !closed {
		verb, short = "reopen", "Reopen a plan closed by mistake: departments report into it again"
	}
	cmd := &cobra.Command{
		Use:   verb + " PLAN_ID --server URL --token-file F [--reason TEXT]",
		Short: short,
		Long: short + `.
Sends POST /api/v1/plans/PLAN_ID/` + verb + ` to the collector with the supervision
office's (admin) token; the record, with who, when and the reason, is stored and every
replica sharing the store follows at its next refresh. A closed plan stays readable
(indicators, completeness, bulletins, metrics) and the admin token still corrects a
figure with a reason. The token comes from --token-file or the environment variable
DUBAN_TOKEN.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := readToken(tokenFile)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return planClosure(ctx, s, server, token, args[0], verb, reason)
		},
	}
	cmd.Flags().StringVar(&server, "server", defaultServer, "collector base URL")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the admin token; default: $DUBAN_TOKEN")
	cmd.Flags().StringVar(&reason, "reason", "", "why, kept with the record (e.g. 2026年度终期通报已印发)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return cmd
}

type closureReply struct {
	Plan     string     `json:"plan"`
	Closed   bool       `json:"closed"`
	ClosedAt *time.Time `json:"closed_at"`
	By       string     `json:"by"`
	Reason   string     `json:"reason"`
	Error    *apiError  `json:"error"`
}

func planClosure(ctx context.Context, s streams, server, token, plan, verb, reason string) error {
	body, err := json.Marshal(map[string]string{"reason": reason})
	if err != nil {
		return err
	}
	u := strings.TrimRight(server, "/") + "/api/v1/plans/" + url.PathEscape(plan) + "/" + verb
	var rep closureReply
	status, err := postToServer(ctx, u, token, "application/json", bytes.NewReader(body), http.StatusOK, 1<<20, &rep, &rep.Error)
	if status != 0 {
		return fmt.Errorf("plan %s refused (HTTP %d), nothing changed: %w", verb, status, err)
	}
	if err != nil {
		return fmt.Errorf("plan %s: %w", verb, err)
	}
	state := "open"
	if rep.Closed {
		state = "closed"
	}
	line := fmt.Sprintf("plan %s is %s", rep.Plan, state)
	if rep.ClosedAt != nil {
		line += fmt.Sprintf(" (since %s by %s", rep.ClosedAt.Format(time.RFC3339), rep.By)
		if rep.Reason != "" {
			line += ": " + rep.Reason
		}
		line += ")"
	}
	_, err = fmt.Fprintln(s.out, line)
	return err
}
