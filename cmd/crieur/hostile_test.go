package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile-input suite: loads and commands a CI job could be fed from a
// branch anyone can push to. Each case runs crieur as its own process, under
// a timeout (never a hang), and ends in a clear error or a safe result; the
// process's peak memory stays under hostileMaxRSS.
//
// Printing titles with terminal escapes is checked by the output's own tests
// (control characters are stripped when printing to a terminal); here the
// load of such a title is checked to be safe.

const hostileMaxRSS = 200 << 20

// recordPeakRSS writes this process's peak resident memory (VmHWM, in kB) to
// the file CRIEUR_TEST_PEAK_RSS names. The parent's rusage cannot tell it: a
// child started by os/exec shares the parent's memory until it execs, and
// Linux carries that high-water mark over into the child's ru_maxrss.
func recordPeakRSS() {
	path := os.Getenv("CRIEUR_TEST_PEAK_RSS")
	if path == "" {
		return
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			_ = os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))), 0o600)
		}
	}
}

type hostileCase struct {
	name  string
	args  []string
	stdin func() *os.File // nil: no input
	code  int
	// stderr must contain every one of these; stdout must contain out.
	stderr []string
	out    string
	// setup marks the calendar's set-up (init, channel add): no hostile
	// input, so no memory budget (under -race, init's migrations alone
	// peak at 150–215 MB from one run to the next).
	setup bool
}

func TestHostileInputs(t *testing.T) {
	if _, err := exec.LookPath("crieur"); err != nil {
		t.Fatal("crieur is not on PATH (TestMain puts it there)")
	}
	work := t.TempDir()
	env := append(os.Environ(),
		"CRIEUR_DB="+filepath.Join(work, "crieur.db"),
		"XDG_CONFIG_HOME="+filepath.Join(work, ".config"),
		"XDG_DATA_HOME="+filepath.Join(work, ".local/share"),
		"TZ=UTC", "NO_COLOR=1", "CRIEUR_AUTHOR=tester", "GOMEMLIMIT=")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The files git cannot hold are made here: symlinks, FIFOs, a big sparse file.
	files, err := filepath.Glob("testdata/hostile/*")
	must(err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		must(err)
		must(os.WriteFile(filepath.Join(work, filepath.Base(f)), data, 0o600))
	}
	w := func(p string) string { return filepath.Join(work, p) }
	must(os.WriteFile(w("secret.txt"), []byte("token=abc"), 0o600))
	must(os.Mkdir(w("load"), 0o700))
	must(os.Symlink("/etc/passwd", w("load/passwd.png")))
	must(os.Symlink("/dev/zero", w("load/zero.png")))
	must(os.Symlink("../secret.txt", w("load/secret.png")))
	must(syscall.Mkfifo(w("load/pipe.png"), 0o600))
	must(syscall.Mkfifo(w("pipe.yaml"), 0o600))
	must(syscall.Mkfifo(w("pipe.md"), 0o600))
	for _, m := range []string{"passwd", "zero", "secret", "pipe"} {
		must(os.WriteFile(w("load/"+m+".yaml"), []byte("posts:\n  - slug: "+m+"\n    channels: acme-log\n    body: hi\n    media: "+m+".png\n"), 0o600))
	}
	must(os.Mkdir(w("folder"), 0o700))
	must(os.WriteFile(w("folder/good.md"), []byte("---\nchannels: acme-log\n---\nHello\n"), 0o600))
	must(os.Symlink("/etc/passwd", w("folder/passwd.md")))
	must(os.Symlink("/dev/zero", w("folder/zero.md")))
	must(os.Symlink("../secret.txt", w("folder/secret.md")))
	must(syscall.Mkfifo(w("folder/pipe.md"), 0o600))
	big, err := os.Create(w("big.csv"))
	must(err)
	must(big.Truncate(40 << 20)) // over the 32 MB default, without writing it
	must(big.Close())
	var huge bytes.Buffer
	huge.WriteString("posts:\n  - slug: huge\n    channels: acme-log\n    body: ")
	huge.WriteString(strings.Repeat("x", 2<<20))
	huge.WriteString("\n")
	must(os.WriteFile(w("huge.yaml"), huge.Bytes(), 0o600))
	must(os.WriteFile(w("deep.json"), []byte(`{"posts": `+strings.Repeat("[", 5_000_000)), 0o600))

	run := func(t *testing.T, c hostileCase) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "crieur", c.args...)
		peakFile := filepath.Join(t.TempDir(), "peak")
		cmd.Dir, cmd.Env = work, append(env, "CRIEUR_TEST_PEAK_RSS="+peakFile)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if c.stdin != nil {
			in := c.stdin()
			defer in.Close()
			cmd.Stdin = in
		}
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("crieur %s hangs (killed after 60 s)", strings.Join(c.args, " "))
		}
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code {
			t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout.String(), stderr.String())
		}
		for _, want := range c.stderr {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		}
		if !strings.Contains(stdout.String(), c.out) {
			t.Errorf("stdout lacks %q:\n%s", c.out, stdout.String())
		}
		for _, leak := range []string{"token=abc", "root:x:0:0"} {
			if strings.Contains(stdout.String()+stderr.String(), leak) {
				t.Errorf("output shows a file from outside the load (%q)", leak)
			}
		}
		if c.setup {
			return
		}
		if data, err := os.ReadFile(peakFile); err == nil {
			kb, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
			peak := kb << 10
			t.Logf("peak memory %d MB", peak>>20)
			if peak > hostileMaxRSS {
				t.Errorf("peak memory %d MB, over %d MB", peak>>20, hostileMaxRSS>>20)
			}
		} else if runtime.GOOS == "linux" {
			t.Errorf("crieur did not record its peak memory: %v", err)
		}
	}

	for _, c := range [][]string{
		{"init"},
		{"channel", "add", "acme-log", "--network", "log", "--set", "path=" + w("out.log")},
	} {
		run(t, hostileCase{name: "setup", args: c, setup: true})
	}
	devZero := func() *os.File {
		f, err := os.Open("/dev/zero")
		must(err)
		return f
	}
	cases := []hostileCase{
		// YAML
		{name: "alias bomb", args: []string{"import", "bomb.yaml"}, code: 3, stderr: []string{"bomb.yaml:", "aliases followed"}},
		{name: "alias bomb, dry run", args: []string{"import", "bomb.yaml", "--dry-run"}, code: 3, stderr: []string{"aliases followed"}},
		{name: "deep JSON", args: []string{"import", "deep.json"}, code: 3, stderr: []string{"deep.json:1: nested more than 100 levels deep"}},
		// media confined to the load's folder
		{name: "traversal", args: []string{"import", "traversal.yaml"}, code: 3,
			stderr: []string{"traversal.yaml:5: media[0]: ", "etc/passwd is outside", "traversal.yaml:8: media[0]: /etc/shadow is outside"}},
		{name: "symlink to /etc/passwd", args: []string{"import", "load/passwd.yaml"}, code: 3, stderr: []string{"load/passwd.yaml:5: media[0]: ", "is a symlink to /etc/passwd, outside load"}},
		{name: "symlink to a file outside", args: []string{"import", "load/secret.yaml", "--dry-run"}, code: 3, stderr: []string{"load/secret.yaml:5: media[0]: ", "secret.txt, outside load"}},
		{name: "symlink to /dev/zero", args: []string{"import", "load/zero.yaml"}, code: 3, stderr: []string{"load/zero.yaml:5: media[0]: ", "is a symlink to /dev/zero, outside load"}},
		{name: "symlink to /dev/zero under --media-root /", args: []string{"import", "load/zero.yaml", "--media-root", "/"}, code: 3, stderr: []string{"load/zero.yaml:5: media[0]: ", "is a device"}},
		{name: "media FIFO", args: []string{"import", "load/pipe.yaml"}, code: 3, stderr: []string{"load/pipe.yaml:5: media[0]: ", "is a FIFO"}},
		// the load files themselves
		{name: "load file is a FIFO", args: []string{"import", "pipe.yaml"}, code: 3, stderr: []string{"pipe.yaml is a FIFO"}},
		{name: "load file is a device", args: []string{"import", "/dev/zero", "--format", "csv"}, code: 3, stderr: []string{"/dev/zero is a device"}},
		{name: "endless stdin", args: []string{"import", "-", "--format", "yaml"}, stdin: devZero, code: 3, stderr: []string{"stdin is over the limit of 32 MB"}},
		{name: "load file over the size limit", args: []string{"import", "big.csv"}, code: 3, stderr: []string{"big.csv is 40 MB, over the limit of 32 MB", "--max-file-size"}},
		{name: "folder load with symlinks out and a FIFO", args: []string{"import", "folder", "--dry-run"}, code: 3,
			stderr: []string{"folder/passwd.md is a symlink to /etc/passwd, outside folder", "folder/zero.md is a symlink to /dev/zero", "folder/secret.md is a symlink to", "folder/pipe.md is a FIFO"}},
		// values
		{name: "huge field", args: []string{"import", "huge.yaml"}, code: 3, stderr: []string{"huge.yaml:4: body: body is 2 MB; a post's field takes at most 1 MB"}},
		{name: "NUL in a field", args: []string{"import", "nul.csv"}, code: 3, stderr: []string{"nul.csv:2: body: contains a NUL byte"}},
		{name: "far dates", args: []string{"import", "far.csv", "--allow-past"}, code: 3,
			stderr: []string{"far.csv:2: at: bad time", "falls in year 10000", "far.csv:3: at: bad time", "falls in year 1:"}},
		{name: "escape sequences in a title", args: []string{"import", "escapes.yaml"}, out: "1 created"},
		// post new, by a person: any regular file, never a device or a FIFO
		{name: "post new --media /dev/zero", args: []string{"post", "new", "--body", "x", "--media", "/dev/zero", "--draft"}, code: 3, stderr: []string{"media[0]: /dev/zero is a device"}},
		{name: "post new --media FIFO", args: []string{"post", "new", "--body", "x", "--media", "load/pipe.png", "--draft"}, code: 3, stderr: []string{"load/pipe.png is a FIFO"}},
		{name: "post new --file FIFO", args: []string{"post", "new", "--file", "pipe.md"}, code: 3, stderr: []string{"pipe.md is a FIFO"}},
		{name: "post new --file /dev/zero", args: []string{"post", "new", "--file", "/dev/zero"}, code: 3, stderr: []string{"/dev/zero is a device"}},
		{name: "post new far date", args: []string{"post", "new", "--body", "x", "--channel", "acme-log", "--at", "9999-12-31 23:00", "--tz", "America/New_York"}, code: 3, stderr: []string{"falls in year 10000"}},
		{name: "post new --media outside the cwd is a person's choice", args: []string{"post", "new", "--body", "x", "--media", w("secret.txt"), "--draft"}},
		// exports of what was loaded stay readable
		{name: "export json", args: []string{"export", "--format", "json"}, out: `"slug": "escapes"`},
		{name: "export csv", args: []string{"export", "--format", "csv", "--out", w("out.csv")}},
		{name: "calendar export ics", args: []string{"calendar", "export", "--format", "ics", "--from", "2000-01-01", "--to", "2100-01-01"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
	if data, err := os.ReadFile(w("out.log")); err == nil && len(data) > 0 {
		t.Errorf("a hostile load published something: %s", data)
	}
}
