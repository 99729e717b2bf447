package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

const defaultServer = "http://127.0.0.1:8080"

func newPushCmd(s streams) *cobra.Command {
	var server, tokenFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "push FILE --server URL --token-file F",
		Short: "Send reports from a JSON, CSV or Excel (.xlsx) file to the collector",
		Long: `Send the reports in FILE to POST /api/v1/reports and print the receipts, or the error.
The kind goes by the extension: .json ({"reports":[...]} or a bare array of reports),
.csv (header indicator,period,value,... or the template's Chinese headers) or .xlsx
(the template from ` + "`duban template`" + `, filled). "-" reads JSON from standard input.
The batch is all or nothing: on an error nothing is stored and the message names the
report (JSON) or the sheet, row and column (CSV, Excel). The token comes from
--token-file or the environment variable DUBAN_TOKEN.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := readToken(tokenFile)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return push(ctx, s, server, token, args[0])
		},
	}
	cmd.Flags().StringVar(&server, "server", defaultServer, "collector base URL")
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "file holding the department's (or admin) token; default: $DUBAN_TOKEN")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
}

func readToken(file string) (string, error) {
	if file == "" {
		if t := strings.TrimSpace(os.Getenv("DUBAN_TOKEN")); t != "" {
			return t, nil
		}
		return "", errors.New("give --token-file FILE (or set DUBAN_TOKEN): the token from `duban token create`")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("token file %s is empty", file)
	}
	return t, nil
}

// body builds the request body and content type for a file by its extension.
func pushBody(in io.Reader, name string) (io.Reader, string, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, "", err
	}
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".xlsx":
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", filepath.Base(name))
		if err != nil {
			return nil, "", err
		}
		if _, err := fw.Write(data); err != nil {
			return nil, "", err
		}
		if err := mw.Close(); err != nil {
			return nil, "", err
		}
		return &buf, mw.FormDataContentType(), nil
	case ".csv":
		return bytes.NewReader(data), "text/csv; charset=utf-8", nil
	case ".json", "":
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '[' {
			data = append(append([]byte(`{"reports":`), t...), '}') // a bare array of reports
		}
		return bytes.NewReader(data), "application/json", nil
	default:
		return nil, "", fmt.Errorf("%s: use a .json, .csv or .xlsx file", name)
	}
}

type pushReply struct {
	Accepted int `json:"accepted"`
	Replayed int `json:"replayed"`
	Receipts []struct {
		Indicator string `json:"indicator"`
		Period    string `json:"period"`
		Revision  int    `json:"revision"`
		Replayed  bool   `json:"replayed"`
	} `json:"receipts"`
	Error *apiError `json:"error"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Index   *int   `json:"index"`
	Field   string `json:"field"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Index != nil {
		fmt.Fprintf(&b, " (report %d", *e.Index)
		if e.Field != "" {
			fmt.Fprintf(&b, ", field %s", e.Field)
		}
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

func push(ctx context.Context, s streams, server, token, file string) error {
	body, ctype, err := pushBody(s.in, file)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	var rep pushReply
	status, err := postToServer(ctx, strings.TrimRight(server, "/")+"/api/v1/reports", token, ctype, body, http.StatusCreated, 16<<20, &rep, &rep.Error)
	if status != 0 {
		return fmt.Errorf("push refused (HTTP %d), nothing stored: %w", status, err)
	}
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "accepted %d report(s)", rep.Accepted)
	if rep.Replayed > 0 {
		fmt.Fprintf(&b, ", %d already received (idempotency key)", rep.Replayed)
	}
	b.WriteString("\n")
	for _, r := range rep.Receipts {
		note := ""
		if r.Replayed {
			note = " (replayed)"
		}
		fmt.Fprintf(&b, "%s\t%s\trevision %d%s\n", r.Indicator, r.Period, r.Revision, note)
	}
	_, err = io.WriteString(s.out, b.String())
	return err
}

// postToServer POSTs body to a URL of the collector with the token as bearer and
// decodes the answer (at most limit bytes) into rep. An answer other than want is a
// refusal: its status, and the API's error (apiErr, the field of rep it decodes into)
// or the answer's start; status is 0 for any other failure.
func postToServer(ctx context.Context, url, token, ctype string, body io.Reader, want int, limit int64, rep any, apiErr **apiError) (status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	raw, err := readAnswer(resp, limit)
	if err != nil {
		return 0, fmt.Errorf("read answer: %w", err)
	}
	if err := json.Unmarshal(raw, rep); err != nil {
		return 0, fmt.Errorf("HTTP %d, not a duban answer: %.200s", resp.StatusCode, raw)
	}
	if resp.StatusCode != want {
		if *apiErr != nil {
			return resp.StatusCode, *apiErr
		}
		return resp.StatusCode, fmt.Errorf("%.200s", raw)
	}
	return 0, nil
}

// readAnswer reads at most limit bytes of an answer's body and closes it.
func readAnswer(resp *http.Response, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	return raw, errors.Join(err, resp.Body.Close())
}

// readTokenOptional reads a token for a read from the collector: from --token-file, or
// $DUBAN_TOKEN, or none (a collector with auth.read: public needs none).
func readTokenOptional(file string) (string, error) {
	if file == "" && strings.TrimSpace(os.Getenv("DUBAN_TOKEN")) == "" {
		return "", nil
	}
	return readToken(file)
}

// getFromServer fetches a URL of the collector (with the token as bearer, when there is
// one) and returns the body of a 200 answer, or the API error.
func getFromServer(ctx context.Context, url, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	raw, err := readAnswer(resp, 64<<20)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != nil {
			return nil, fmt.Errorf("HTTP %d: %w", resp.StatusCode, e.Error)
		}
		return nil, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, raw)
	}
	return raw, nil
}

// writeOut writes data to the file, or to standard output for "" or "-".
func writeOut(s streams, out string, data []byte) error {
	if out == "" || out == "-" {
		_, err := s.out.Write(data)
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil { //nolint:gosec // G306: a bulletin or template for people to open, like any document they save
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	s.notef("wrote %s (%d bytes)\n", out, len(data))
	return nil
}
