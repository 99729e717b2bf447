package testenv

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer collects a process's output (or a logger's); safe to read while it writes.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Await reports whether substr is in the output within timeout: a process's log line
// reaches the buffer through a pipe, a little after the answer of the request that
// wrote it.
func (b *Buffer) Await(substr string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if strings.Contains(b.String(), substr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// ServeOptions say how a test runs `duban serve`; every field is optional.
type ServeOptions struct {
	// Config returns the duban.yaml written into the rig's directory before the first
	// start, given the rig's listen address and directory. Nil writes no file.
	Config func(addr, dir string) string
	// Files are written into the rig's directory too (a catalog beside the config).
	Files Files
	// Command is the program and its leading arguments; default the duban binary
	// built for the tests (DubanBinary). A copied binary, or qemu running another
	// architecture's, goes here.
	Command []string
	// Args follow Command; default "serve --config DIR/duban.yaml". With Listen the rig
	// adds "--listen ADDR".
	Args   []string
	Listen bool
	// Dir is the working directory; default the rig's directory.
	Dir string
	// Env is the whole environment; default this process's.
	Env []string
	// Ready is the path polled after each start until it answers 200 or 204 (default
	// "/-/ready"; "/-/healthy" for a store that is not ready by design).
	Ready string
	// Timeout bounds that wait; default ReadyTimeout.
	Timeout time.Duration
	// Client polls Ready (a TLS client for an HTTPS collector); its scheme follows
	// Scheme ("http" by default).
	Client *http.Client
	Scheme string
	// Group starts the process in a process group of its own, and every stop signals
	// the whole group (a collector started through a shell or with children).
	Group bool
}

// Serve is the one rig of the tests that run the real `duban serve` (or another
// command of the binary that listens): it writes the configuration, starts the
// process on a free 127.0.0.1 port, waits until it answers, and stops it when the test
// ends, printing its log if the test failed. Restart it with Start after Kill or Stop.
type Serve struct {
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port (https with Scheme "https")
	Dir  string // the rig's temp dir: duban.yaml, the files, the data
	// ConfigFile is Dir/duban.yaml.
	ConfigFile string
	Logs       *Buffer // stdout and stderr of every start

	t      testing.TB
	opts   ServeOptions
	cmd    *exec.Cmd
	exited chan error // Wait's result, once, then closed over
	err    error      // the last process's exit, once it exited
}

// NewServe prepares a rig without starting it.
func NewServe(t testing.TB, opts ServeOptions) *Serve {
	t.Helper()
	if opts.Ready == "" {
		opts.Ready = "/-/ready"
	}
	if opts.Timeout == 0 {
		opts.Timeout = ReadyTimeout
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	if opts.Scheme == "" {
		opts.Scheme = "http"
	}
	dir := t.TempDir()
	addr := FreeAddr(t)
	s := &Serve{Addr: addr, URL: opts.Scheme + "://" + addr, Dir: dir, ConfigFile: filepath.Join(dir, "duban.yaml"), Logs: &Buffer{}, t: t, opts: opts}
	files := Files{}
	for k, v := range opts.Files {
		files[k] = v
	}
	if opts.Config != nil {
		files["duban.yaml"] = opts.Config(addr, dir)
	}
	writeFiles(t, dir, files)
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("duban log:\n%s", tail(s.Logs.String(), 6000))
		}
	})
	return s
}

// StartServe prepares a rig and starts it (see Start).
func StartServe(t testing.TB, opts ServeOptions) *Serve {
	t.Helper()
	s := NewServe(t, opts)
	s.Start()
	return s
}

// Start starts the process and waits until Ready answers; the test fails if it exits
// or does not answer in time.
func (s *Serve) Start() {
	s.t.Helper()
	s.StartReady(s.opts.Ready)
}

// StartReady is Start waiting for path instead of ServeOptions.Ready.
func (s *Serve) StartReady(path string) {
	s.t.Helper()
	s.StartNoWait()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan struct{})
	ch := s.exited // a later start replaces the field while this goroutine may still read it
	go func() {
		select {
		case err := <-ch:
			ch <- err
			close(exited)
			cancel()
		case <-ctx.Done():
		}
	}()
	err := waitHTTP(ctx, s.opts.Client, s.URL+path, s.opts.Timeout)
	cancel()
	select {
	case <-exited:
		_, e := s.Wait(0)
		s.t.Fatalf("duban exited before it answered %s: %v\n%s", path, e, tail(s.Logs.String(), 4000))
	default:
	}
	if err != nil {
		s.t.Fatalf("duban did not answer %s: %v\n%s", path, err, tail(s.Logs.String(), 4000))
	}
}

// StartNoWait starts the process and returns at once (a start that must fail).
func (s *Serve) StartNoWait() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("testenv: Start while the process runs; Kill or Stop it first")
	}
	command := s.opts.Command
	if len(command) == 0 {
		command = []string{DubanBinary(s.t)}
	}
	args := s.opts.Args
	if args == nil {
		args = []string{"serve", "--config", s.ConfigFile}
	}
	args = append(append([]string(nil), command[1:]...), args...)
	if s.opts.Listen {
		args = append(args, "--listen", s.Addr)
	}
	cmd := exec.Command(command[0], args...)
	cmd.Dir = s.opts.Dir
	if cmd.Dir == "" {
		cmd.Dir = s.Dir
	}
	cmd.Env = s.opts.Env
	cmd.Stdout, cmd.Stderr = s.Logs, s.Logs
	if s.opts.Group {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", command[0], err)
	}
	s.cmd, s.err = cmd, nil
	s.exited = make(chan error, 1)
	go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(cmd, s.exited)
}

// Pid is the running process's id (0 when none runs).
func (s *Serve) Pid() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Signal sends sig to the process (to its group with Group).
func (s *Serve) Signal(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil {
		s.t.Fatal("testenv: Signal without a running process")
	}
	pid := s.cmd.Process.Pid
	if s.opts.Group {
		pid = -pid
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Wait waits at most d for the process to exit (0: only looks) and returns whether it
// exited and its exit error. After an exit the rig can Start again.
func (s *Serve) Wait(d time.Duration) (exited bool, err error) {
	if s.cmd == nil {
		return true, s.err
	}
	var timeout <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case err := <-s.exited:
		s.cmd, s.err = nil, err
		return true, err
	default:
	}
	if d <= 0 {
		return false, nil
	}
	select {
	case err := <-s.exited:
		s.cmd, s.err = nil, err
		return true, err
	case <-timeout:
		return false, nil
	}
}

// Kill ends the process with SIGKILL (a crash) and waits for it; nothing when none runs.
func (s *Serve) Kill() {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	if s.opts.Group {
		pid = -pid
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_, _ = s.Wait(time.Minute) // a killed process exits with "signal: killed", as it should
}

// Stop ends the process with SIGTERM, as systemd and docker do, and returns its exit
// error; the test fails when it does not exit within the timeout.
func (s *Serve) Stop(timeout time.Duration) error {
	s.t.Helper()
	s.Signal(syscall.SIGTERM)
	ok, err := s.Wait(timeout)
	if !ok {
		s.t.Fatalf("duban still runs %v after SIGTERM\n%s", timeout, tail(s.Logs.String(), 4000))
	}
	return err
}
