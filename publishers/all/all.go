// Package all registers every network adapter; the binary imports it.
package all

import (
	_ "github.com/crieur/crieur/publishers/log" // local log file or stdout
)
