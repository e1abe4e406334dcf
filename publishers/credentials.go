package publishers

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Credentials is a channel's handle on its secrets, given to its adapter in
// Config.Credentials. A network whose tokens rotate (OAuth: X issues a new
// refresh token on every use) refreshes under Lock, and saves the new token
// with Save before it uses it, so that a crash after the network answered
// cannot leave the calendar holding a token the network already revoked:
//
//	unlock, err := cfg.Credentials.Lock(ctx)
//	if err != nil { … }
//	defer unlock()
//	refresh, err := cfg.Credentials.Get("refresh_token") // as it is now, not as built
//	tok, err := exchange(ctx, refresh)                   // the network rotates it
//	if err := cfg.Credentials.Save(ctx, "refresh_token", tok.Refresh); err != nil { … }
//	cfg.Redact.Add(tok.Access, tok.Refresh)
//
// Values never go into an error, a log or a result.
type Credentials interface {
	// Get returns the secret name as it is now (a value saved since the
	// publisher was built included).
	Get(name string) (string, error)
	// Lock takes the channel's lock, shared with every process using the
	// calendar, waiting for it or for ctx; unlock lets go.
	Lock(ctx context.Context) (unlock func(), err error)
	// Save keeps value as the secret name, durably, before it returns.
	Save(ctx context.Context, name, value string) error
}

// StaticCredentials is a Credentials over a fixed map, for tests and tools
// that have no calendar: Save changes the map, Lock is a mutex of its own.
type StaticCredentials struct {
	mu     sync.Mutex
	lock   chan struct{}
	values map[string]string
}

// NewStaticCredentials holds a copy of values.
func NewStaticCredentials(values map[string]string) *StaticCredentials {
	c := &StaticCredentials{values: map[string]string{}, lock: make(chan struct{}, 1)}
	for k, v := range values {
		c.values[k] = v
	}
	return c
}

// ErrNoSecret is the cause when a channel has no secret of that name.
var ErrNoSecret = errors.New("no such secret")

// Get returns the value held for name.
func (c *StaticCredentials) Get(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[name]
	if !ok {
		return "", fmt.Errorf("secret %s: %w", name, ErrNoSecret)
	}
	return v, nil
}

// Lock takes the handle's lock.
func (c *StaticCredentials) Lock(ctx context.Context) (func(), error) {
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-c.lock }) }, nil
}

// Save keeps value for name.
func (c *StaticCredentials) Save(_ context.Context, name, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values[name] = value
	return nil
}

// Secret returns the secret name: through Credentials when the channel has a
// handle (the value as it is now), else from Secrets (as built).
func (c Config) Secret(name string) (string, error) {
	if c.Credentials != nil {
		return c.Credentials.Get(name)
	}
	v, ok := c.Secrets[name]
	if !ok {
		return "", fmt.Errorf("secret %s: %w", name, ErrNoSecret)
	}
	return v, nil
}
