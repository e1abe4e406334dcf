//go:build !linux

package scheduler

import "io"

// Elsewhere than Linux, the process's network and address space figures are not read.
func writeProcessExtras(io.Writer) {}
