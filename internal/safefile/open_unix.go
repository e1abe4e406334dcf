//go:build unix

package safefile

import (
	"errors"
	"syscall"
)

// A FIFO opened without O_NONBLOCK waits for a writer forever.
const openFlags = syscall.O_NONBLOCK

const noFollowFlag = syscall.O_NOFOLLOW

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
