package openstack

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// lookupCache remembers name->object resolutions (flavors, images, security groups, networks)
// of one session for a short time: they change rarely, and resolving them on every create was a
// large share of the peer driver's requests. Failures are not cached. Concurrent misses of one
// name share one request: MCM creates a scaled-up pool's machines all at once.
type lookupCache struct {
	ttl    time.Duration
	flight singleflight.Group

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	value   any
	expires time.Time
}

func newLookupCache(ttl time.Duration) *lookupCache {
	return &lookupCache{ttl: ttl, entries: map[string]cacheEntry{}}
}

func (c *lookupCache) get(kind, name string, load func() (any, error)) (any, error) {
	if c == nil || c.ttl <= 0 {
		return load()
	}
	key := kind + "\x00" + name
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.value, nil
	}
	v, err, shared := c.flight.Do(key, func() (any, error) {
		v, err := load()
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.entries[key] = cacheEntry{value: v, expires: time.Now().Add(c.ttl)}
		c.mu.Unlock()
		return v, nil
	})
	if err != nil && shared && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The call that did the request gave up; that is no answer for this one.
		return load()
	}
	return v, err
}
