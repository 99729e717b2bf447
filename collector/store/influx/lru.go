package influx

import "container/list"

// lru keeps the most recent (sender, key) receipts and contents. Not safe for concurrent use:
// the store guards it with its mutex.
type lru struct {
	size  int
	order *list.List // front = most recent
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	rc  keyed
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) (keyed, bool) {
	e, ok := c.items[key]
	if !ok {
		return keyed{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).rc, true
}

func (c *lru) put(key string, rc keyed) {
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry).rc = rc
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry{key: key, rc: rc})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruEntry).key)
	}
}
