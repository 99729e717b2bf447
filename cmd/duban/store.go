package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/duban-gov/duban/collector/store/boltstore"
	"github.com/duban-gov/duban/config"
)

// errCheckFailed: `duban store check` found damage (exit 1; the report is printed).
var errCheckFailed = errors.New("the store is damaged: restore it from a backup (README: Backup and restore)")

func newStoreCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Verify and back up the embedded store (duban.db)",
	}
	cmd.AddCommand(newStoreCheckCmd(s), newStoreBackupCmd(s), newStoreStructureCmd(s))
	return cmd
}

// storeFile is the store file of --data DIR, or of store.path in --config (default
// ./data).
func storeFile(configFile, data string) (string, error) {
	if data == "" {
		cfg, err := config.Load(config.Options{File: configFile})
		if err != nil {
			return "", err
		}
		data = cfg.Store.Path
	}
	return filepath.Join(data, boltstore.FileName), nil
}

func newStoreCheckCmd(s streams) *cobra.Command {
	var configFile, data string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check [FILE] [--data DIR]",
		Short: "Verify the whole store: bbolt's structure, every record's checksum, the latest index",
		Long: `Verify a store file read-only: its length and bbolt meta pages, the store header and
format, bbolt's own structure check (Tx.Check), the CRC-32C of every record, and that
every latest pointer names a record of its indicator, period and revision with
revisions 1..N before it. Prints a summary; exits 1 when anything is damaged.

FILE is a store file (a backup, say); without it the store of --data DIR (default:
store.path of --config, or ./data). A running duban serve holds its store's lock:
check a backup of it instead (duban store backup FILE --server URL).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := storeFile(configFile, data)
			if err != nil {
				return err
			}
			if len(args) == 1 {
				path = args[0]
			}
			rep, err := checkStore(cmd.Context(), path, timeout)
			if err != nil {
				return err
			}
			if err := printCheck(s.out, rep); err != nil {
				return err
			}
			if !rep.Healthy() {
				return errCheckFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configFile, "config", "", "YAML configuration file whose store.path to check")
	cmd.Flags().StringVar(&data, "data", "", "data directory holding duban.db (default: store.path, ./data)")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Second, "wait this long for the file lock")
	return cmd
}

// checkStore runs boltstore.Check with bbolt's structure check in a child process:
// Tx.Check runs in a goroutine of bbolt's own, where a page it cannot parse panics the
// process, and a check must report a damaged file, not crash on it.
func checkStore(ctx context.Context, path string, timeout time.Duration) (*boltstore.CheckReport, error) {
	return boltstore.Check(ctx, boltstore.CheckConfig{Path: path, Timeout: timeout, Structure: structureInChild})
}

func structureInChild(ctx context.Context, path string) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var out, errOut bytes.Buffer
	c := exec.CommandContext(ctx, self, "store", "structure", path) //nolint:gosec // G204: duban itself, on the file being checked
	c.Stdout, c.Stderr = &out, &errOut
	runErr := c.Run()
	var problems []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			problems = append(problems, line)
		}
	}
	var exit *exec.ExitError
	switch {
	case runErr == nil:
		return problems, nil
	case errors.As(runErr, &exit):
		first, _, _ := strings.Cut(strings.TrimSpace(errOut.String()), "\n")
		return append(problems, fmt.Sprintf("bbolt's structure check could not read the file (%v): %s", runErr, first)), nil
	}
	return nil, runErr
}

// newStoreStructureCmd is the child process of checkStore: bbolt's Tx.Check alone,
// one problem a line.
func newStoreStructureCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:    "structure FILE",
		Short:  "Run bbolt's Tx.Check on a store file (used by duban store check)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			problems, err := boltstore.CheckStructure(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var b strings.Builder
			for _, p := range problems {
				b.WriteString(strings.ReplaceAll(p, "\n", " ") + "\n")
			}
			_, err = io.WriteString(s.out, b.String())
			return err
		},
	}
}

func printCheck(out io.Writer, r *boltstore.CheckReport) error {
	var w strings.Builder
	writeCheck(&w, r)
	_, err := io.WriteString(out, w.String())
	return err
}

func writeCheck(w *strings.Builder, r *boltstore.CheckReport) {
	fmt.Fprintf(w, "store %s\n", r.Path)
	if r.Format != 0 {
		created := r.CreatedAt
		if created == "" {
			created = "before store headers"
		}
		fmt.Fprintf(w, "  file     %d bytes (%d in use), format %d, created %s\n", r.FileBytes, r.UsedBytes, r.Format, created)
		if r.Format >= 4 {
			fmt.Fprintf(w, "  records  %d read, each checked against its checksum\n", r.Records)
		} else {
			fmt.Fprintf(w, "  records  %d read and decoded (no checksums before format 4)\n", r.Records)
		}
		fmt.Fprintf(w, "  latest   %d values checked against their records\n", r.Latest)
		if r.Format >= 5 {
			fmt.Fprintf(w, "  reviews  %d checked against the revisions they judge\n", r.Reviews)
		}
		if r.Closures > 0 {
			fmt.Fprintf(w, "  closures %d plan closures checked against their checksums\n", r.Closures)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note     %s\n", n)
	}
	if r.Healthy() {
		fmt.Fprintln(w, "healthy: bbolt structure, records and latest index all check out")
		return
	}
	fmt.Fprintf(w, "DAMAGED: %d problems\n", len(r.Problems)+r.More)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
	if r.More > 0 {
		fmt.Fprintf(w, "  … and %d more\n", r.More)
	}
}

func newStoreBackupCmd(s streams) *cobra.Command {
	var configFile, data, server, tokenFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "backup FILE [--data DIR | --server URL]",
		Short: "Write a consistent copy of the store to FILE, checked before it is kept",
		Long: `Copy the embedded store to FILE. With --server URL the running collector sends it
(GET /-/backup with the admin token from --token-file or $DUBAN_TOKEN): a copy as of
one commit, taken while it goes on serving. Without --server the store of --data DIR
(default: store.path of --config, or ./data) is copied directly, which works only
while no duban serve holds it.

The copy is written to FILE.partial, synced, verified as duban store check would, and
only then renamed to FILE; a copy that fails the check is removed and the command
exits 1. To restore: stop duban, put FILE in place of <data>/duban.db, run
duban store check, start duban.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			dest := args[0]
			var fetch func(w io.Writer) (int64, error)
			if server != "" {
				token, err := readToken(tokenFile)
				if err != nil {
					return err
				}
				fetch = func(w io.Writer) (int64, error) { return fetchBackup(ctx, server, token, w) }
			} else {
				path, err := storeFile(configFile, data)
				if err != nil {
					return err
				}
				fetch = func(w io.Writer) (int64, error) {
					n, err := boltstore.BackupFile(ctx, path, w, 2*time.Second)
					if err != nil && strings.Contains(err.Error(), "locked by another process") {
						err = fmt.Errorf("%w; while duban serve runs, ask it for the copy: duban store backup %s --server URL", err, dest)
					}
					return n, err
				}
			}
			rep, n, err := writeBackup(ctx, dest, fetch)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.out, "backup %s: %d bytes, format %d, %d records, %d latest values; it passes duban store check\n",
				dest, n, rep.Format, rep.Records, rep.Latest)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "YAML configuration file whose store.path to copy")
	f.StringVar(&data, "data", "", "data directory holding duban.db (default: store.path, ./data)")
	f.StringVar(&server, "server", "", "collector base URL: copy the store it is serving")
	f.StringVar(&tokenFile, "token-file", "", "file holding the admin token (with --server); default: $DUBAN_TOKEN")
	f.DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	return cmd
}

// writeBackup writes the copy to dest.partial, syncs and checks it, then renames it
// to dest.
func writeBackup(ctx context.Context, dest string, fetch func(io.Writer) (int64, error)) (*boltstore.CheckReport, int64, error) {
	partial := dest + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, 0, err
	}
	// Removed when anything failed; once renamed it is gone and Remove fails, as it should.
	defer func() { _ = os.Remove(partial) }()
	n, err := fetch(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, n, fmt.Errorf("backup: %w", err)
	}
	rep, err := checkStore(ctx, partial, 2*time.Second)
	if err != nil {
		return nil, n, fmt.Errorf("backup: check the copy: %w", err)
	}
	if !rep.Healthy() {
		return nil, n, fmt.Errorf("backup: the copy fails the check, so the store it came from is damaged; nothing was written to %s: %s",
			dest, strings.Join(rep.Problems, "; "))
	}
	if err := os.Rename(partial, dest); err != nil {
		return nil, n, err
	}
	if d, err := os.Open(filepath.Dir(dest)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return rep, n, nil
}

// fetchBackup streams GET /-/backup into w and makes sure all of it arrived.
func fetchBackup(ctx context.Context, server, token string, w io.Writer) (n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/-/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096)) // what it says, when it says it; the status is the error
		return 0, fmt.Errorf("%s/-/backup answered %s: %s", server, resp.Status, strings.TrimSpace(string(body)))
	}
	n, err = io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("the copy was cut short after %d bytes: %w", n, err)
	}
	if want, perr := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); perr == nil && n != want {
		return n, fmt.Errorf("the copy was cut short: %d of %d bytes", n, want)
	}
	return n, nil
}
