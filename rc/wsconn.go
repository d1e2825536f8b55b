package rc

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxFrame bounds one inbound frame.
const maxFrame = 16 << 20

// wsConn is one WebSocket connection of a Stream: a reader goroutine that
// decodes frames, and the only writer goroutine (gorilla allows one). The
// Stream joins both (wait) before it dials again or returns from Close.
type wsConn struct {
	s  *Stream
	ws *websocket.Conn
	// ctx ends when the connection closes; the reader hands events over
	// only while it lasts.
	ctx    context.Context
	cancel context.CancelFunc

	out    chan []byte
	closed chan struct{}
	once   sync.Once
	err    error // why it closed; set before closed is closed

	started    bool          // set by start, before the goroutines run
	readerDone chan struct{} // closed as the reader returns
	writerDone chan struct{} // closed as the writer returns

	lastIn atomic.Int64 // unix nanos of the last inbound frame or ping
	sub    atomic.Value // string: the live subscription's id
	// subID is owned by the Stream's goroutine.
	subID string

	pmu     sync.Mutex
	pending map[string]chan frame

	gaps  chan string
	track seqTracker
}

func newWSConn(s *Stream, ws *websocket.Conn) *wsConn {
	c := &wsConn{
		s:          s,
		ws:         ws,
		out:        make(chan []byte, 64),
		closed:     make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		pending:    map[string]chan frame{},
		gaps:       make(chan string, 4),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.track.timeout = s.opts.GapTimeout
	c.track.now = s.c.opts.Now
	c.sub.Store("")
	c.touch()
	ws.SetReadLimit(maxFrame)
	ws.SetPingHandler(func(data string) error {
		// A ping proves the link as a frame does: it resets the heartbeat
		// clock, so it must push the read deadline out too (pings never
		// return from ReadMessage, where the deadline is otherwise set).
		c.touch()
		_ = ws.SetReadDeadline(time.Now().Add(c.readWindow()))
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	return c
}

func (c *wsConn) touch() { c.lastIn.Store(c.s.c.opts.Now().UnixNano()) }

func (c *wsConn) lastInbound() time.Time { return time.Unix(0, c.lastIn.Load()) }

// first reads the gateway's first frame, which must be ConnectionDetails.
func (c *wsConn) first(timeout time.Duration) (frame, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		return frame{}, &netError{op: "websocket read", err: closeReason(err)}
	}
	c.touch()
	f, err := decodeFrame(data)
	if err != nil {
		return frame{}, err
	}
	switch f.header.Type {
	case frameConnectionDetails:
		return f, nil
	case frameError:
		ge := &gatewayError{}
		_ = json.Unmarshal(f.body, ge)
		return frame{}, ge
	}
	return frame{}, fmt.Errorf("gateway sent %s before ConnectionDetails", f.header.Type)
}

// start runs the reader and the writer; wait joins them.
func (c *wsConn) start() {
	c.started = true
	go func() {
		defer close(c.writerDone)
		c.writer()
	}()
	go func() {
		defer close(c.readerDone)
		c.reader()
		if testHookReaderEnds != nil {
			testHookReaderEnds()
		}
	}()
}

// testHookReaderEnds lets a test widen the moment before a reader's end
// is signalled.
var testHookReaderEnds func()

// wait returns once the reader and the writer have ended (at once if they
// never started). They end when the connection fails: kill it first.
func (c *wsConn) wait() {
	if c.started {
		<-c.readerDone
		<-c.writerDone
	}
}

// fail closes the connection once, recording why.
func (c *wsConn) fail(err error) {
	c.once.Do(func() {
		c.err = err
		close(c.closed)
		c.cancel()
		_ = c.ws.Close()
	})
}

// kill drops the connection at once.
func (c *wsConn) kill() { c.fail(errors.New("connection closed")) }

// close drops the connection and joins its goroutines.
func (c *wsConn) close() {
	c.kill()
	c.wait()
}

// shutdown deletes the subscription within ctx, closes the socket
// politely, and joins the connection's goroutines.
func (c *wsConn) shutdown(ctx context.Context) {
	if c.started {
		if id := c.sub.Load().(string); id != "" {
			f, err := c.request(ctx, prioFinal, http.MethodDelete, "/restapi/v1.0/subscription/"+id, nil)
			if err != nil {
				c.s.c.log.Info("could not delete the subscription", "err", err)
			} else {
				c.s.c.log.Info("subscription deleted", "status", f.header.Status)
			}
		}
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	}
	c.close()
}

// send queues a frame for the writer.
func (c *wsConn) send(b []byte) {
	select {
	case c.out <- b:
	case <-c.closed:
	}
}

func (c *wsConn) writer() {
	for {
		select {
		case <-c.closed:
			return
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.fail(&netError{op: "websocket write", err: err})
				return
			}
		}
	}
}

// readWindow is how long a read may wait: a heartbeat's time plus its
// answer's, and a little slack, so only a dead link trips it.
func (c *wsConn) readWindow() time.Duration {
	return c.s.opts.HeartbeatAfter + c.s.opts.DeadAfter + min(time.Second, c.s.opts.DeadAfter)
}

func (c *wsConn) reader() {
	// One buffer for every frame read (ReadMessage grows a new one from
	// 512 bytes for each: under load that was a third of all the bytes
	// the process allocated). Nothing decoded keeps a piece of it: the
	// hand-written decoder cuts its strings from its own copy, and a raw
	// body handed on is copied below.
	var buf bytes.Buffer
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(c.readWindow()))
		data, err := c.read(&buf)
		if err != nil {
			c.fail(&netError{op: "websocket read", err: closeReason(err)})
			return
		}
		c.touch()
		f, err := decodeFrame(data)
		if err != nil {
			c.s.c.log.Debug("ignored a malformed frame", "bytes", len(data))
			continue
		}
		f.body = bytes.Clone(f.body)
		switch f.header.Type {
		case frameServerNotification:
			c.notification(f)
		case frameClientRequest:
			c.answer(f)
		case frameError:
			ge := &gatewayError{}
			_ = json.Unmarshal(f.body, ge)
			c.fail(ge)
			return
		}
	}
}

// read reads the next message into buf and returns its bytes, valid
// until the next read.
func (c *wsConn) read(buf *bytes.Buffer) ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if buf.Cap() > 1<<20 {
		*buf = bytes.Buffer{} // not kept huge after one big frame
	}
	return data, nil
}

// seen remembers recent notification uuids across connections, so a
// replayed or duplicated notification is applied once: the last seenRing,
// in a ring of 16-byte keys with an open-addressed index into it (about
// 24 bytes a uuid; maps of keys and a ring of them took 90).
type seenSet struct {
	mu   sync.Mutex
	ring []seenKey // in arrival order, from next on the oldest
	n    int       // the keys in ring (at most seenRing)
	next int
	// slots index ring by a key's hash, linear probing: a slot holds its
	// key's place in ring plus one, 0 when free.
	slots []uint32
}

// seenRing is how many notifications the set remembers.
const seenRing = 20000

// seenSlots is the index's size: a power of two, at most ~60% full.
const seenSlots = 1 << 15

// seenKey is a notification's uuid as kept: the 16 bytes of a canonical
// UUID (every one RingCentral sends), else a 128-bit hash of the text
// (ids sharing a key: a chance of about n²/2^129). Never the decoded
// string itself: that is a piece of its frame, and 20,000 of them kept
// 20,000 frames (28 MB) alive.
type seenKey [16]byte

// hashSeeds key HashKey: drawn once per process (the keys never leave it).
var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// HashKey is a 128-bit hash of an id from the wire, for a set that keeps
// ids as 16 bytes rather than as text (two ids share a key with a chance
// of about n²/2^129). The same text gives the same key within a process.
func HashKey(id string) [16]byte {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], maphash.String(hashSeeds[0], id))
	binary.LittleEndian.PutUint64(k[8:], maphash.String(hashSeeds[1], id))
	return k
}

func keyOf(uuid string) seenKey {
	if k, ok := uuidKey(uuid); ok {
		return k
	}
	return HashKey(uuid)
}

// uuidKey is the 16 bytes of a canonical lower-case UUID.
func uuidKey(uuid string) (k seenKey, ok bool) {
	if len(uuid) != 36 || uuid[8] != '-' || uuid[13] != '-' || uuid[18] != '-' || uuid[23] != '-' {
		return k, false
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i-- // the dash: the next pair starts after it
			continue
		}
		hi, ok1 := unhex(uuid[i])
		lo, ok2 := unhex(uuid[i+1])
		if !ok1 || !ok2 {
			return seenKey{}, false
		}
		k[j] = hi<<4 | lo
		j++
	}
	return k, true
}

// unhex is a lower-case hex digit's value (upper case is another text:
// hashed).
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// home is k's first slot.
func (k *seenKey) home() int {
	h := binary.LittleEndian.Uint64(k[:8]) ^ binary.LittleEndian.Uint64(k[8:])
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return int(h & (seenSlots - 1))
}

// find is the slot that holds k, or the free slot that ends its probe.
func (s *seenSet) find(k *seenKey) (slot int, found bool) {
	for i := k.home(); ; i = (i + 1) & (seenSlots - 1) {
		v := s.slots[i]
		if v == 0 {
			return i, false
		}
		if s.ring[v-1] == *k {
			return i, true
		}
	}
}

// remove frees slot i, moving later keys of its run back so that every
// probe still reaches its key (deletion for linear probing, no tombstones).
func (s *seenSet) remove(i int) {
	const mask = seenSlots - 1
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		h := s.ring[s.slots[j]-1].home()
		// The key at j may move to i when its home is not cyclically in (i, j].
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
}

// add remembers uuid, and reports whether it is new.
func (s *seenSet) add(uuid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring == nil {
		s.ring = make([]seenKey, seenRing)
		s.slots = make([]uint32, seenSlots)
	}
	k := keyOf(uuid)
	slot, found := s.find(&k)
	if found {
		return false
	}
	if s.n == len(s.ring) { // forget the oldest
		if old, ok := s.find(&s.ring[s.next]); ok { // always: every key in ring has its slot
			s.remove(old)
		}
		slot, _ = s.find(&k) // the run may have moved
	} else {
		s.n++
	}
	s.ring[s.next] = k
	s.slots[slot] = uint32(s.next) + 1
	s.next = (s.next + 1) % len(s.ring)
	return true
}

func (c *wsConn) notification(f frame) {
	if f.header.WSC != nil {
		if c.track.saw(*f.header.WSC) {
			c.gap("notifications were lost (wsc sequence gap)")
		}
	}
	n := f.note
	if n == nil {
		c.s.c.log.Debug("ignored a malformed notification")
		return
	}
	if n.SubscriptionID != c.sub.Load().(string) {
		return // another subscription's, e.g. one being replaced
	}
	if !c.s.seen.add(n.UUID) {
		return
	}
	c.s.emit(c.ctx, StreamEvent{Notification: n})
}

func (c *wsConn) gap(why string) {
	select {
	case c.gaps <- why:
	default:
	}
}

// answer routes a ClientRequest response to its waiter. A successful
// subscription answer switches the notification filter to its id here, in
// the reader, so no notification right behind it is dropped.
func (c *wsConn) answer(f frame) {
	if f.header.Status >= 200 && f.header.Status < 300 && len(f.body) > 0 {
		var info SubscriptionInfo
		if json.Unmarshal(f.body, &info) == nil && info.ID != "" && info.EventFilters != nil {
			c.sub.Store(info.ID)
		}
	}
	c.pmu.Lock()
	ch := c.pending[f.header.MessageID]
	delete(c.pending, f.header.MessageID)
	c.pmu.Unlock()
	if ch != nil {
		ch <- f
	}
}

// errNoBudget is a request that would have had to wait for budget.
var errNoBudget = errors.New("no rate-limit budget now")

// request sends a ClientRequest and waits for its answer.
func (c *wsConn) request(ctx context.Context, prio priority, method, path string, body any) (frame, error) {
	return c.requestIf(ctx, prio, false, method, path, body)
}

// requestIf is request; with now, it fails with errNoBudget rather than
// wait for its group's budget (the serve loop must not stall on it).
func (c *wsConn) requestIf(ctx context.Context, prio priority, now bool, method, path string, body any) (frame, error) {
	group := Medium
	if method == http.MethodGet {
		group = Light
	}
	var sl *slot
	if now {
		var ok bool
		if sl, ok = c.s.c.gov.tryAcquire(group, prio); !ok {
			return frame{}, errNoBudget
		}
	} else {
		var err error
		if sl, err = c.s.c.gov.acquire(ctx, group, prio); err != nil {
			return frame{}, err
		}
	}
	id := newMessageID()
	ch := make(chan frame, 1)
	c.pmu.Lock()
	c.pending[id] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.pending, id)
		c.pmu.Unlock()
	}()
	parts := []any{frameHeader{Type: frameClientRequest, MessageID: id, Method: method, Path: path}}
	if body != nil {
		parts = append(parts, body)
	}
	b, err := json.Marshal(parts)
	if err != nil {
		sl.cancel()
		return frame{}, err
	}
	sl.sent()
	c.send(b)
	t := time.NewTimer(c.s.opts.ConnectTimeout)
	defer t.Stop()
	select {
	case f := <-ch:
		hdr := http.Header{}
		for k, v := range f.header.Headers {
			hdr.Set(k, v)
		}
		c.s.c.gov.observe(group, hdr)
		if f.header.Status < 200 || f.header.Status >= 300 {
			ae := decodeAPIError(&http.Response{StatusCode: f.header.Status, Header: hdr}, f.body)
			if ae.Status == http.StatusTooManyRequests {
				wait := ae.RetryAfter
				if wait == 0 {
					wait = parseRetryAfter("")
				}
				c.s.c.gov.penalize(group, wait)
			}
			return f, ae
		}
		return f, nil
	case <-c.closed:
		return frame{}, c.err
	case <-t.C:
		return frame{}, fmt.Errorf("no answer to %s %s over the WebSocket", method, path)
	case <-ctx.Done():
		return frame{}, ctx.Err()
	}
}

type subscriptionBody struct {
	EventFilters []string `json:"eventFilters"`
	DeliveryMode struct {
		TransportType string `json:"transportType"`
	} `json:"deliveryMode"`
}

func newSubscriptionBody(filters []string) subscriptionBody {
	b := subscriptionBody{EventFilters: filters}
	b.DeliveryMode.TransportType = "WebSocket"
	return b
}

// postSubscription creates the session's one subscription.
func (c *wsConn) postSubscription(ctx context.Context, filters []string) (SubscriptionInfo, error) {
	return c.subscribe(ctx, false, filters)
}

// postSubscriptionNow is postSubscription, failing with errNoBudget
// rather than wait for the Medium budget.
func (c *wsConn) postSubscriptionNow(ctx context.Context, filters []string) (SubscriptionInfo, error) {
	return c.subscribe(ctx, true, filters)
}

func (c *wsConn) subscribe(ctx context.Context, now bool, filters []string) (SubscriptionInfo, error) {
	f, err := c.requestIf(ctx, prioUser, now, http.MethodPost, "/restapi/v1.0/subscription", newSubscriptionBody(filters))
	if errors.Is(err, errNoBudget) {
		return SubscriptionInfo{}, err
	}
	if err != nil {
		return SubscriptionInfo{}, fmt.Errorf("subscribe: %w", err)
	}
	var info SubscriptionInfo
	if err := json.Unmarshal(f.body, &info); err != nil || info.ID == "" {
		return SubscriptionInfo{}, errors.New("subscribe: answer without a subscription id")
	}
	return info, nil
}

// putSubscription replaces the subscription's filters.
func (c *wsConn) putSubscription(ctx context.Context, id string, filters []string) (SubscriptionInfo, error) {
	f, err := c.request(ctx, prioUser, http.MethodPut, "/restapi/v1.0/subscription/"+id, newSubscriptionBody(filters))
	if err != nil {
		return SubscriptionInfo{}, err
	}
	var info SubscriptionInfo
	_ = json.Unmarshal(f.body, &info)
	return info, nil
}

// closeReason turns a close error into a readable reason.
func closeReason(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		text := strings.TrimSpace(ce.Text)
		if text == "" {
			return fmt.Errorf("closed by the server (code %d)", ce.Code)
		}
		return fmt.Errorf("closed by the server (code %d: %s)", ce.Code, oneLine(text, 80))
	}
	return err
}

// seqTracker follows the wsc sequence of notification frames. It keeps the
// wsc of the last frame before any hole, so a recovery never skips a frame
// that was merely delayed, and reports a hole as lost frames once the
// oldest frame waiting behind it has waited longer than the timeout.
type seqTracker struct {
	mu      sync.Mutex
	timeout time.Duration
	now     func() time.Time
	contig  wsc
	pending map[int64]heldFrame
	// strict is set after a recovery: the replay comes in order, so a first
	// frame beyond the next sequence means the replay buffer overflowed.
	strict bool
}

// heldFrame is a frame seen beyond a hole.
type heldFrame struct {
	token string
	at    time.Time
}

// reset starts over at a session's ConnectionDetails; recovered says the
// session was recovered and a replay follows.
func (t *seqTracker) reset(w wsc, recovered bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.contig, t.pending, t.strict = w, map[int64]heldFrame{}, recovered
}

// saw records a frame's wsc and reports true when a hole is given up on.
func (t *seqTracker) saw(w wsc) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[int64]heldFrame{}
	}
	if w.Sequence <= t.contig.Sequence {
		return false
	}
	if t.strict {
		t.strict = false
		if w.Sequence > t.contig.Sequence+1 {
			t.contig, t.pending = w, map[int64]heldFrame{}
			return true
		}
	}
	if _, dup := t.pending[w.Sequence]; !dup {
		t.pending[w.Sequence] = heldFrame{token: w.Token, at: t.now()}
	}
	for {
		f, ok := t.pending[t.contig.Sequence+1]
		if !ok {
			break
		}
		delete(t.pending, t.contig.Sequence+1)
		t.contig = wsc{Token: f.token, Sequence: t.contig.Sequence + 1}
	}
	return t.expireLocked()
}

// expire reports a hole older than the timeout (called on a timer too).
func (t *seqTracker) expire() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.expireLocked()
}

func (t *seqTracker) expireLocked() bool {
	if len(t.pending) == 0 {
		return false
	}
	oldest, top := time.Time{}, int64(0)
	for s, f := range t.pending {
		if oldest.IsZero() || f.at.Before(oldest) {
			oldest = f.at
		}
		top = max(top, s)
	}
	if t.now().Sub(oldest) < t.timeout && len(t.pending) < 10000 {
		return false
	}
	t.contig = wsc{Token: t.pending[top].token, Sequence: top}
	t.pending = map[int64]heldFrame{}
	return true
}

// recovery is the wsc to recover with.
func (t *seqTracker) recovery() *wsc {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.contig.Token == "" {
		return nil
	}
	w := t.contig
	return &w
}
