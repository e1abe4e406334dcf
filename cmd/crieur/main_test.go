package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/crieur/crieur/internal/testsvc"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the crieur command in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"crieur": func() {
			code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			recordPeakRSS()
			os.Exit(code)
		},
	})
}

// TestScripts runs every testdata/script/*.txtar: CLI behaviour as a person
// or a CI job sees it, exit codes and messages included.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("CRIEUR_DB", env.WorkDir+"/crieur.db")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/.config")
			env.Setenv("XDG_DATA_HOME", env.WorkDir+"/.local/share")
			env.Setenv("TZ", "UTC")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("CRIEUR_AUTHOR", "tester")
			// A script named postgres_* runs on a new PostgreSQL database
			// (skipped without a server, failed under CI).
			if tb, ok := env.T().(testing.TB); ok && strings.HasPrefix(path.Base(tb.Name()), "postgres_") {
				env.Setenv("CRIEUR_DB", testsvc.Postgres(tb))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"jsonout":  cmdJSONOut,
		},
	})
}

// cmdExitCode runs a command and checks its exit code, which DESIGN.md fixes
// per kind of failure: exitcode 3 crieur post new ...
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdJSONOut checks that the last command's standard output is one JSON
// document and nothing else (what -o json promises a script): jsonout
func cmdJSONOut(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: jsonout")
	}
	r := strings.NewReader(ts.ReadFile("stdout"))
	dec := json.NewDecoder(r)
	var v any
	if err := dec.Decode(&v); err != nil {
		ts.Fatalf("stdout is not JSON: %v", err)
	}
	rest, _ := io.ReadAll(io.MultiReader(dec.Buffered(), r))
	if s := strings.TrimSpace(string(rest)); s != "" {
		ts.Fatalf("stdout holds more than its JSON document: %q", s)
	}
}
