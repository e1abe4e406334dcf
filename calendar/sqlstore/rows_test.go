package sqlstore

import (
	"testing"
)

// eachRow runs q on s and calls row with each row's values (any, []byte
// as string) and the column names: the tests' one way to read rows whole.
func eachRow(t *testing.T, s *Store, q string, row func(cols []string, vals []any)) {
	t.Helper()
	rows, err := s.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		row(cols, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
