package openstack

import (
	"sync"
	"time"
)

// lookupCache remembers name->object resolutions (flavors, images, security groups, networks)
// of one session for a short time: they change rarely, and resolving them on every create was a
// large share of the peer driver's requests. Failures are not cached.
type lookupCache struct {
	ttl time.Duration

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
	v, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.entries[key] = cacheEntry{value: v, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}
