package publishers

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStaticCredentials(t *testing.T) {
	ctx := context.Background()
	c := NewStaticCredentials(map[string]string{"token": "a"})
	cfg := Config{Secrets: map[string]string{"token": "a"}, Credentials: c}
	if err := c.Save(ctx, "token", "b"); err != nil {
		t.Fatal(err)
	}
	if v, err := cfg.Secret("token"); v != "b" || err != nil {
		t.Errorf("Secret through the handle = %q, %v; want the saved value", v, err)
	}
	if _, err := cfg.Secret("nosuch"); !errors.Is(err, ErrNoSecret) {
		t.Errorf("missing secret: %v", err)
	}
	if v, _ := (Config{Secrets: map[string]string{"token": "a"}}).Secret("token"); v != "a" {
		t.Errorf("Secret without a handle = %q", v)
	}
	unlock, err := c.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Lock while held = %v", err)
	}
	unlock()
	unlock() // a second call is harmless
	if u, err := c.Lock(ctx); err != nil {
		t.Errorf("Lock after unlock = %v", err)
	} else {
		u()
	}
}
