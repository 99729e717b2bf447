package spool_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/collector/store/spool"
)

func open(t *testing.T, dir string) *spool.Spool {
	t.Helper()
	s, err := spool.Open(spool.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestSpoolKeepsRecordsInOrderAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	for i := range 5 {
		if _, err := s.Append([]byte(fmt.Sprintf("batch-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	items := s.Items()
	if err := s.Remove(items[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	items = s.Items()
	if len(items) != 4 {
		t.Fatalf("after reopen: %d records, want 4", len(items))
	}
	for i, it := range items {
		b, err := s.Read(it.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("batch-%d", i+1); string(b) != want {
			t.Errorf("record %d = %q, want %q", i, b, want)
		}
	}
	it, err := s.Append([]byte("later"))
	if err != nil {
		t.Fatal(err)
	}
	if it.Seq <= items[len(items)-1].Seq {
		t.Errorf("new record seq %d not after %d", it.Seq, items[len(items)-1].Seq)
	}
	if oldest, ok := s.Oldest(); !ok || !oldest.Equal(items[0].Created) {
		t.Errorf("Oldest = %v %v, want %v", oldest, ok, items[0].Created)
	}
}

func TestSpoolDirectoryIsExclusive(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	if s, err := spool.Open(spool.Config{Dir: dir}); err == nil {
		t.Fatal("second Open of the same dir succeeded", s.Close())
	}
}

func TestSpoolRepairsWhatACrashOrDiskLeaves(t *testing.T) {
	cases := map[string]struct {
		file, content string
		wantItems     int
		wantCorrupt   int
	}{
		"a temp file from a crash mid-append is removed": {file: ".tmp-00000000000000000009", content: "half", wantItems: 1},
		"a damaged record is quarantined":                {file: "00000000000000000009.rec", content: "DUBANSP1garbage-garbage-garbage", wantItems: 1, wantCorrupt: 1},
		"unrelated files are left alone":                 {file: "collector-id", content: "c-1234", wantItems: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir)
			if _, err := s.Append([]byte("good")); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir)
			if got := len(s.Items()); got != tc.wantItems {
				t.Errorf("items = %d, want %d", got, tc.wantItems)
			}
			if got := len(s.Corrupt()); got != tc.wantCorrupt {
				t.Errorf("corrupt = %d, want %d", got, tc.wantCorrupt)
			}
			if strings.HasPrefix(tc.file, ".tmp-") {
				if _, err := os.Stat(filepath.Join(dir, tc.file)); !os.IsNotExist(err) {
					t.Errorf("temp file still there: %v", err)
				}
			}
		})
	}
}

// TestSpoolKeepsEveryAcknowledgedRecordAfterSIGKILL runs a child process that appends
// records and prints each acknowledged sequence number, kills it with SIGKILL mid-stream
// and checks that every acknowledged record reads back intact.
func TestSpoolKeepsEveryAcknowledgedRecordAfterSIGKILL(t *testing.T) {
	if dir := os.Getenv("SPOOL_CHILD_DIR"); dir != "" {
		s, err := spool.Open(spool.Config{Dir: dir})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			it, err := s.Append([]byte("payload-" + strconv.Itoa(i)))
			if err != nil {
				fmt.Println("ERR", err)
				os.Exit(1)
			}
			fmt.Printf("ACK %d %d\n", it.Seq, i)
		}
	}
	dir := t.TempDir()
	acked := map[uint64]string{}
	for cycle := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolKeepsEveryAcknowledgedRecordAfterSIGKILL$")
		cmd.Env = append(os.Environ(), "SPOOL_CHILD_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		killAt := time.Now().Add(time.Duration(100+cycle*70) * time.Millisecond)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "ACK" {
				seq, _ := strconv.ParseUint(f[1], 10, 64)
				acked[seq] = "payload-" + f[2]
			} else if f[0] == "ERR" {
				t.Fatalf("child: %s", sc.Text())
			}
			if time.Now().After(killAt) {
				_ = cmd.Process.Kill()
				break
			}
		}
		_ = cmd.Wait()
	}
	if len(acked) == 0 {
		t.Fatal("child acknowledged nothing")
	}
	s := open(t, dir)
	have := map[uint64]bool{}
	for _, it := range s.Items() {
		have[it.Seq] = true
	}
	for seq, want := range acked {
		if !have[seq] {
			t.Errorf("acknowledged record %d lost", seq)
			continue
		}
		b, err := s.Read(seq)
		if err != nil || string(b) != want {
			t.Errorf("record %d = %q, %v; want %q", seq, b, err, want)
		}
	}
	t.Logf("%d acknowledged records over 3 kills, %d on disk", len(acked), len(have))
}
