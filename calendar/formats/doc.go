// Package formats turns campaign files (CSV, YAML, JSON, a folder of Markdown
// posts with front matter) into a calendar.LoadSet a store plans and writes,
// and writes a calendar's posts back as files (export). It reads files and
// never touches a store.
package formats
