package publishertest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Fake is a publisher for the scheduler's tests: it records every post it
// receives, deduplicates on the idempotency key when Idempotent, and fails as
// scripted.
type Fake struct {
	mu sync.Mutex
	// Idempotent makes a repeated IdempotencyKey return the first result
	// without a second post, as Mastodon does.
	Idempotent bool
	// Latency is how long each publish takes (honours ctx).
	Latency time.Duration
	// Fail, if set, is asked before each publish; a non-nil error is returned.
	Fail func(p publishers.Post, attempt int) error
	// OnPublish, if set, is called with each post as it is received.
	OnPublish func(p publishers.Post)

	posts    []publishers.Post
	byKey    map[string]publishers.Result
	attempts map[int64]int
	seq      int
	calls    int // calls under way
	most     int // the most calls under way at once
}

// MostAtOnce is the most calls that were under way at once.
func (f *Fake) MostAtOnce() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.most
}

// Validate accepts everything.
func (f *Fake) Validate(publishers.Post) []publishers.Problem { return nil }

// Publish records p, or fails as scripted.
func (f *Fake) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	f.mu.Lock()
	f.calls++
	f.most = max(f.most, f.calls)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.calls--
		f.mu.Unlock()
	}()
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-ctx.Done():
			return publishers.Result{}, publishers.Transport(ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.attempts == nil {
		f.attempts = map[int64]int{}
		f.byKey = map[string]publishers.Result{}
	}
	f.attempts[p.DeliveryID]++
	if f.Fail != nil {
		if err := f.Fail(p, f.attempts[p.DeliveryID]); err != nil {
			return publishers.Result{}, err
		}
	}
	if f.Idempotent && p.IdempotencyKey != "" {
		if r, ok := f.byKey[p.IdempotencyKey]; ok {
			return r, nil
		}
	}
	f.seq++
	r := publishers.Result{RemoteID: fmt.Sprintf("fake-%d", f.seq), RemoteURL: fmt.Sprintf("https://fake.example/%d", f.seq), PublishedAt: time.Now()}
	f.posts = append(f.posts, p)
	if p.IdempotencyKey != "" {
		f.byKey[p.IdempotencyKey] = r
	}
	if f.OnPublish != nil {
		f.OnPublish(p)
	}
	return r, nil
}

// Find reports whether a post with p's idempotency key was received.
func (f *Fake) Find(_ context.Context, p publishers.Post) (publishers.Result, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.byKey[p.IdempotencyKey]
	return r, ok, nil
}

// Posts returns what was published, in order.
func (f *Fake) Posts() []publishers.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]publishers.Post(nil), f.posts...)
}

// Attempts returns how many publish calls a delivery received.
func (f *Fake) Attempts(deliveryID int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[deliveryID]
}
