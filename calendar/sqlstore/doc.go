// Package sqlstore holds all the SQL of the calendar: the embedded default
// store (one SQLite file, modernc.org/sqlite, pure Go, no cgo) and, sharing
// its statements, the PostgreSQL store; each engine has its own versioned
// migrations. It implements calendar.Store and passes
// calendar/storetest. Its rules of what may change when are the domain's
// (calendar/lifecycle.go), applied inside its transactions.
package sqlstore
