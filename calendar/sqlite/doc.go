// Package sqlite is the calendar's embedded default store: one SQLite file
// (modernc.org/sqlite, pure Go, no cgo), its versioned migrations, and all
// the SQL of the calendar. It implements calendar.Store and passes
// calendar/storetest. Its rules of what may change when are the domain's
// (calendar/lifecycle.go), applied inside its transactions.
package sqlite
