package sqlstore

// dialect is what differs between the two engines; every statement is
// written once, with ? placeholders, and the PostgreSQL connections rewrite
// them to $1… (pgdriver.go). A new statement cares about PostgreSQL only
// where it needs something below: add it here rather than branching in the
// statement's code.
type dialect struct {
	// pg is true for PostgreSQL, false for SQLite.
	pg bool
}

// byteOrder is col ordered by its bytes, whatever the database's collation
// (SQLite's default already is): views order channels by name, and a month
// grid orders them again in Go.
func (d dialect) byteOrder(col string) string {
	if d.pg {
		return col + ` COLLATE "C"`
	}
	return col
}

// tagFilter is a condition true when the JSON list in column col holds the
// tag given as the next placeholder.
func (d dialect) tagFilter(col string) string {
	if d.pg {
		return col + "::jsonb @> jsonb_build_array(CAST(? AS text))"
	}
	return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE json_each.value = ?)"
}

// greatest is the larger of two non-NULL values (SQLite's scalar max).
func (d dialect) greatest(a, b string) string {
	if d.pg {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "max(" + a + ", " + b + ")"
}

// indexedBy is SQLite's INDEXED BY clause pinning a query to an index (its
// planner misjudges a few of ours); PostgreSQL's planner chooses alone.
func (d dialect) indexedBy(index string) string {
	if d.pg {
		return ""
	}
	return " INDEXED BY " + index
}

// skipLocked is the locking clause of a claim's SELECT (alias: the table
// whose rows it takes): on PostgreSQL the rows are locked and those another
// transaction holds are passed over; SQLite's file lock already serialises.
func (d dialect) skipLocked(alias string) string {
	if d.pg {
		return " FOR UPDATE OF " + alias + " SKIP LOCKED"
	}
	return ""
}

// forNoKeyUpdate locks the rows a SELECT reads on PostgreSQL against other
// writers, as an UPDATE that leaves their keys alone does: a foreign key
// check on them (an event inserted for the post) does not wait.
func (d dialect) forNoKeyUpdate() string {
	if d.pg {
		return " FOR NO KEY UPDATE"
	}
	return ""
}

// in is a condition's right-hand side true when the column before it is
// one of ids, and its arguments: on PostgreSQL ` = ANY(?)` with one array,
// one statement whatever their number (prepared and planned once per
// connection, not once per length of the list); on SQLite ` IN (?,…)`.
func (d dialect) in(ids []int64) (string, []any) {
	if d.pg {
		return " = ANY(?)", []any{ids}
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return " IN (" + placeholders(len(ids)) + ")", args
}

// notIn is in's opposite: true when the column before it is none of ids (a
// list that is not empty), on PostgreSQL ` <> ALL(?)` with one array.
func (d dialect) notIn(ids []int64) (string, []any) {
	if d.pg {
		return " <> ALL(?)", []any{ids}
	}
	in, args := d.in(ids)
	return " NOT" + in, args
}

// forUpdate locks the rows a SELECT reads on PostgreSQL.
func (d dialect) forUpdate() string {
	if d.pg {
		return " FOR UPDATE"
	}
	return ""
}
