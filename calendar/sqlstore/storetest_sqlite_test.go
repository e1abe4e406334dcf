package sqlstore_test

import (
	"path/filepath"
	"testing"
)

// The SQLite store passes the store conformance suite: each calendar is a
// new file.
func TestSQLiteStoreConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) string { return filepath.Join(t.TempDir(), "calendar.db") }, false)
}
