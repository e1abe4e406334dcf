// Package testsvc decides what a test does when a real local server it needs
// (Bluesky's PDS, Mailpit, Chromium, …) is not there: on a developer's
// machine it skips, saying how to start the server; under CI (CI=true) it
// fails, so that a service that did not start can never pass as a green run.
package testsvc

import (
	"os"
	"strconv"
	"testing"
)

// UnderCI reports whether the environment says it is CI (CI=true, or any
// value strconv.ParseBool reads as true).
func UnderCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// RequireService is called by a test that cannot run because the service
// name is not available; why says what is missing and how to provide it.
// Under CI the test fails; elsewhere it is skipped. It does not return.
func RequireService(t testing.TB, name, why string) {
	t.Helper()
	if UnderCI() {
		t.Fatalf("%s is required under CI (CI=%s) and is not available: %s", name, os.Getenv("CI"), why)
	}
	t.Skipf("%s is not available, test skipped (under CI=true it fails): %s", name, why)
}
