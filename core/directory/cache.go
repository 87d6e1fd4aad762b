package directory

import (
	"container/list"
	"sync"
	"time"
)

// lru is a bounded least-recently-used map from a normalised number to a
// Result, each entry with its own expiry. It is safe for concurrent use.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *cacheEntry
	items map[string]*list.Element
}

type cacheEntry struct {
	key     string
	res     Result
	expires time.Time
}

// newLRU returns a cache of at most max entries (max must be above zero).
func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: make(map[string]*list.Element, max)}
}

// get returns the entry for key unless it is missing or has expired at now
// (an expired entry is dropped).
func (c *lru) get(key string, now time.Time) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Result{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return Result{}, false
	}
	c.order.MoveToFront(el)
	return e.res, true
}

// put stores res under key until expires, evicting the least recently used
// entry when full.
func (c *lru) put(key string, res Result, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry)
		e.res, e.expires = res, expires
		c.order.MoveToFront(el)
		return
	}
	if c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).key)
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, res: res, expires: expires})
}

// clear drops every entry.
func (c *lru) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.items)
}

// len is the number of entries held, expired or not.
func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
