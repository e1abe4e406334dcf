package testsvc

import (
	"bytes"
	"sync"
)

// SyncBuffer is a buffer one goroutine writes while another reads it (a
// command's output watched while it runs, e.g. a login printing its URL).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
