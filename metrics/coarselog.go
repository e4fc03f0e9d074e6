package metrics

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// AppendCompact appends c in its compact form: for each bucket with a
// count, in order, two unsigned varints, the number of empty buckets
// since the previous counted one (or since bucket 0) and the count. An
// empty histogram is no bytes. A second's histogram of response times
// spread over a few powers of two takes some 2 bytes per counted bucket,
// where the whole array is 3.8 KB.
func (c *Coarse) AppendCompact(b []byte) []byte {
	next := 0
	for i, n := range c {
		if n == 0 {
			continue
		}
		b = binary.AppendUvarint(b, uint64(i-next))
		b = binary.AppendUvarint(b, uint64(n))
		next = i + 1
	}
	return b
}

// AddCompact adds a histogram in compact form (AppendCompact) to c, or
// says what is wrong with it and leaves c as it was.
func (c *Coarse) AddCompact(b []byte) error {
	var add Coarse
	next := uint64(0)
	for len(b) > 0 {
		gap, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("a bucket's offset is not a varint")
		}
		b = b[n:]
		count, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("a bucket's count is not a varint")
		}
		b = b[n:]
		i := next + gap
		if i >= CoarseLen || gap > CoarseLen {
			return fmt.Errorf("bucket %d is past the last, %d", i, CoarseLen-1)
		}
		if count == 0 || count > 1<<53 {
			return fmt.Errorf("bucket %d counts %d", i, count)
		}
		add[i] = int64(count)
		next = i + 1
	}
	c.Merge(&add)
	return nil
}

// Count is how many values c counts.
func (c *Coarse) Count() int64 {
	var n int64
	for _, k := range c {
		n += k
	}
	return n
}

// CoarseLog is a series' coarse histogram of each second, kept in compact
// form back to back: what lets a second's percentiles be merged with
// another run's (a split run's parts) exactly, at a few bytes per second.
type CoarseLog struct {
	chunks [][]byte
	// ends are where each second's histogram ends in its chunk, and the
	// chunk's index: chunk<<32 | end.
	ends []uint64
}

// maxCompact is the most bytes a histogram's compact form takes (every
// bucket counted, each count up to 2⁵³): a second's histogram is never
// split over two chunks. The first chunk is small, as most series of a
// short run need no more.
const (
	maxCompact  = CoarseLen * 10
	firstChunk  = 8 << 10
	coarseChunk = 32 << 10
)

// Append keeps c as the next second's histogram.
func (l *CoarseLog) Append(c *Coarse) {
	if n := len(l.chunks); n == 0 || len(l.chunks[n-1])+maxCompact > cap(l.chunks[n-1]) {
		size := coarseChunk
		if n == 0 {
			size = firstChunk
		}
		l.chunks = append(l.chunks, make([]byte, 0, size))
	}
	k := len(l.chunks) - 1
	l.chunks[k] = c.AppendCompact(l.chunks[k])
	l.ends = append(l.ends, uint64(k)<<32|uint64(len(l.chunks[k])))
}

// setLast replaces the last second's histogram with c.
func (l *CoarseLog) setLast(c *Coarse) {
	n := len(l.ends) - 1
	k := int(l.ends[n] >> 32)
	start := 0
	if n > 0 && int(l.ends[n-1]>>32) == k {
		start = int(uint32(l.ends[n-1]))
	}
	l.chunks[k] = c.AppendCompact(l.chunks[k][:start])
	l.ends[n] = uint64(k)<<32 | uint64(len(l.chunks[k]))
}

// Len is the number of seconds kept.
func (l *CoarseLog) Len() int {
	if l == nil {
		return 0
	}
	return len(l.ends)
}

// Compact is second k's histogram in compact form, pointing into l; nil
// past the seconds kept.
func (l *CoarseLog) Compact(k int) []byte {
	if k < 0 || k >= l.Len() {
		return nil
	}
	chunk, end := int(l.ends[k]>>32), int(uint32(l.ends[k]))
	start := 0
	if k > 0 && int(l.ends[k-1]>>32) == chunk {
		start = int(uint32(l.ends[k-1]))
	}
	return l.chunks[chunk][start:end]
}

// AddTo adds second k's histogram to c; nothing past the seconds kept.
func (l *CoarseLog) AddTo(k int, c *Coarse) {
	// The log holds only what AppendCompact wrote.
	_ = c.AddCompact(l.Compact(k))
}
