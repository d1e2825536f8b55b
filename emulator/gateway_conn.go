package emulator

import (
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// writeWait bounds one write to a peer that stopped reading.
	writeWait = 10 * time.Second
	// closeGrace is how long a closing connection waits for the peer's
	// close frame before it drops the TCP connection.
	closeGrace = time.Second
)

// endReason is why a connection ended; the first one recorded wins.
type endReason int

const (
	endNormal   endReason = iota
	endDropped            // DropInterval fault or DropConnections
	endOverflow           // the client fell too far behind
	endIdle               // WSG-902
	endNoPong             // no pong within the pong wait
	endWriteError
)

func (r endReason) String() string {
	return [...]string{"closed", "dropped", "overflow", "idle timeout", "no pong", "write error"}[r]
}

// outFrame is a text frame waiting to be written no earlier than due.
type outFrame struct {
	data []byte
	due  time.Time
}

// closeRequest asks the writer to send frame (if any), then a close frame.
type closeRequest struct {
	frame []byte
	code  int
	text  string
}

// wsConn is one WebSocket connection. Its writer goroutine is the only one
// that writes to ws; the handler goroutine is its only reader.
type wsConn struct {
	g  *gateway
	ws *websocket.Conn
	nc net.Conn
	// sess is set under p.mu before the goroutines start and never changes;
	// nil for a connection that is being refused.
	sess *gwSession

	lastData atomic.Int64 // unix nanos of the last data frame from the client
	lastPong atomic.Int64 // unix nanos of the last pong

	mu         sync.Mutex
	queue      []outFrame // FIFO
	delayed    []outFrame // reordered notifications, by due time
	pong       []byte
	pongDue    bool
	peerClose  int // close code the client sent; 0 if none
	closeSent  bool
	closeReq   *closeRequest
	rearm      bool
	reason     endReason
	reasonSet  bool
	discarded  int // pongs dropped while half-open
	ignored    int // client frames ignored while half-open
	wake       chan struct{}
	readerDone chan struct{}
	writerDone chan struct{}
	abortOnce  sync.Once
}

func newConn(g *gateway, ws *websocket.Conn) *wsConn {
	c := &wsConn{
		g: g, ws: ws, nc: ws.NetConn(),
		wake:       make(chan struct{}, 1),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	c.lastData.Store(time.Now().UnixNano())
	ws.SetReadLimit(maxClientFrameLength)
	// Pongs and close replies go through the writer too, and not at all
	// while the connection is half-open.
	ws.SetPingHandler(func(data string) error {
		if g.faults().HalfOpen {
			return nil
		}
		c.mu.Lock()
		c.pong, c.pongDue = []byte(data), true
		c.mu.Unlock()
		c.poke()
		return nil
	})
	ws.SetPongHandler(func(string) error {
		c.lastPong.Store(time.Now().UnixNano())
		return nil
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		c.mu.Lock()
		c.peerClose = code
		c.mu.Unlock()
		return nil
	})
	return c
}

func (c *wsConn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *wsConn) setReason(r endReason) {
	c.mu.Lock()
	if !c.reasonSet {
		c.reason, c.reasonSet = r, true
	}
	c.mu.Unlock()
}

// abort closes the TCP connection at once: no close frame. Safe under p.mu.
func (c *wsConn) abort() {
	c.abortOnce.Do(func() { _ = c.nc.Close() })
}

// requestClose asks for a graceful close (never blocks).
func (c *wsConn) requestClose(cr *closeRequest) {
	c.mu.Lock()
	if c.closeReq == nil {
		c.closeReq = cr
	}
	c.mu.Unlock()
	c.poke()
}

// send queues a text frame (never blocks; may be called under p.mu). The
// Latency fault delays every frame; notifications are also subject to the
// Reorder and Duplicate faults. A client that falls maxQueue frames behind
// is dropped: recovery heals it from the ring.
func (c *wsConn) send(data []byte, notification bool) {
	f := c.g.faults()
	now := time.Now()
	due := now.Add(f.Latency)
	copies := 1
	if notification && f.DuplicateRate > 0 && rand.Float64() < f.DuplicateRate {
		copies = 2
	}
	c.mu.Lock()
	if c.closeReq != nil {
		c.mu.Unlock()
		return
	}
	if len(c.queue)+len(c.delayed)+copies > int(c.g.maxQueue.Load()) {
		if !c.reasonSet {
			c.reason, c.reasonSet = endOverflow, true
		}
		c.mu.Unlock()
		c.abort()
		return
	}
	for range copies {
		if notification && f.ReorderRate > 0 && rand.Float64() < f.ReorderRate {
			d := due
			if f.ReorderMaxDelay > 0 {
				d = d.Add(rand.N(f.ReorderMaxDelay + 1))
			}
			i := sort.Search(len(c.delayed), func(i int) bool { return c.delayed[i].due.After(d) })
			c.delayed = slices.Insert(c.delayed, i, outFrame{data, d})
			continue
		}
		c.queue = append(c.queue, outFrame{data, due})
	}
	c.mu.Unlock()
	c.poke()
}

// batch is what the writer takes from the connection in one go.
type batch struct {
	frames   [][]byte
	pong     []byte
	pongDue  bool
	close    *closeRequest
	next     time.Time // when the next queued frame is due; zero if none
	rearm    bool
	halfOpen bool
}

// take removes the frames due at now. While half-open, frames wait (as TCP
// holds them), pongs are discarded, and a close request waits until the
// connection resumes.
func (c *wsConn) take(now time.Time, halfOpen bool) batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b batch
	b.rearm, c.rearm = c.rearm, false
	if b.rearm {
		halfOpen = c.g.faults().HalfOpen
	}
	b.halfOpen = halfOpen
	if halfOpen {
		// TCP holds what it could not deliver and sends it once the path
		// is back (the queue cap still drops a peer too far behind); only
		// the pong is gone, its ping long answered by silence.
		if c.pong != nil || c.pongDue {
			c.discarded++
		}
		c.pong, c.pongDue = nil, false
		return b
	}
	n := 0
	for n < len(c.queue) && !c.queue[n].due.After(now) {
		b.frames = append(b.frames, c.queue[n].data)
		n++
	}
	c.queue = append(c.queue[:0], c.queue[n:]...)
	m := 0
	for m < len(c.delayed) && !c.delayed[m].due.After(now) {
		b.frames = append(b.frames, c.delayed[m].data)
		m++
	}
	c.delayed = append(c.delayed[:0], c.delayed[m:]...)
	if len(c.queue) > 0 {
		b.next = c.queue[0].due
	}
	if len(c.delayed) > 0 && (b.next.IsZero() || c.delayed[0].due.Before(b.next)) {
		b.next = c.delayed[0].due
	}
	b.pong, b.pongDue = c.pong, c.pongDue
	c.pong, c.pongDue = nil, false
	b.close = c.closeReq
	return b
}

func (c *wsConn) write(data []byte) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *wsConn) writeControl(kind int, data []byte) error {
	return c.ws.WriteControl(kind, data, time.Now().Add(writeWait))
}

// writeLoop is the connection's only writer. It also runs the connection's
// clocks: pings and the pong wait, the idle timeout, and the drop fault.
func (c *wsConn) writeLoop() {
	g := c.g
	defer g.wg.Done()
	defer close(c.writerDone)
	defer c.abort()

	f := g.faults()
	halfOpen := f.HalfOpen
	ping := time.NewTicker(g.cfg.PingInterval)
	defer ping.Stop()
	idle := time.NewTimer(g.cfg.IdleTimeout)
	defer idle.Stop()
	pong := stoppedTimer()
	defer pong.Stop()
	due := stoppedTimer()
	defer due.Stop()
	drop := stoppedTimer()
	defer drop.Stop()
	armDrop := func(f *Faults) {
		drop.Stop()
		if f.DropInterval > 0 {
			drop.Reset(dropDelay(f))
		}
	}
	armDrop(f)
	var awaiting, lastPing time.Time // the oldest unanswered ping, the newest ping

	for {
		now := time.Now()
		b := c.take(now, halfOpen)
		if b.rearm {
			f = g.faults()
			if halfOpen && !b.halfOpen {
				// The link is back: the client gets a fresh idle window.
				c.lastData.Store(now.UnixNano())
				idle.Reset(g.cfg.IdleTimeout)
			}
			if b.halfOpen {
				awaiting = time.Time{}
				pong.Stop()
			}
			halfOpen = b.halfOpen
			armDrop(f)
		}
		for _, fr := range b.frames {
			if err := c.write(fr); err != nil {
				c.setReason(endWriteError)
				return
			}
		}
		if b.pongDue {
			if err := c.writeControl(websocket.PongMessage, b.pong); err != nil {
				c.setReason(endWriteError)
				return
			}
		}
		if b.close != nil {
			c.closeGracefully(b.close)
			return
		}
		due.Stop()
		if !b.next.IsZero() {
			due.Reset(time.Until(b.next))
		}

		select {
		case <-c.wake:
		case <-due.C:
		case <-ping.C:
			if halfOpen {
				continue
			}
			// Stamp the ping before it leaves: on loopback its pong can be
			// recorded before writeControl even returns.
			lastPing = time.Now()
			if err := c.writeControl(websocket.PingMessage, nil); err != nil {
				c.setReason(endWriteError)
				return
			}
			if awaiting.IsZero() {
				awaiting = lastPing
				pong.Reset(g.pongWait())
			}
		case <-pong.C:
			answered := time.Unix(0, c.lastPong.Load())
			if answered.Before(awaiting) {
				c.setReason(endNoPong)
				return
			}
			awaiting = time.Time{}
			if lastPing.After(answered) {
				awaiting = lastPing
				pong.Reset(g.pongWait() - time.Since(lastPing))
			}
		case <-idle.C:
			if halfOpen {
				idle.Reset(g.cfg.IdleTimeout)
				continue
			}
			if left := g.cfg.IdleTimeout - time.Since(time.Unix(0, c.lastData.Load())); left > 0 {
				idle.Reset(left)
				continue
			}
			c.setReason(endIdle)
			c.closeGracefully(&closeRequest{
				frame: errorFrame(nil, codeIdleTimeout, msgIdleTimeout), code: 1000, text: msgIdleTimeout,
			})
			return
		case <-drop.C:
			c.setReason(endDropped)
			return
		case <-c.readerDone:
			c.mu.Lock()
			code, sent := c.peerClose, c.closeSent
			c.mu.Unlock()
			if code != 0 && !sent && !halfOpen {
				_ = c.writeControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""))
			}
			return
		}
	}
}

// closeGracefully writes what is queued (due or not), cr's frame and a close
// frame, then waits a little for the client's close frame.
func (c *wsConn) closeGracefully(cr *closeRequest) {
	c.mu.Lock()
	rest := c.queue
	c.queue, c.delayed = nil, nil
	c.closeSent = true
	c.mu.Unlock()
	for _, fr := range rest {
		if c.write(fr.data) != nil {
			return
		}
	}
	if cr.frame != nil && c.write(cr.frame) != nil {
		return
	}
	if c.writeControl(websocket.CloseMessage, websocket.FormatCloseMessage(cr.code, cr.text)) != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
	}
}

// readLoop is the connection's only reader; it runs on the handler goroutine.
func (c *wsConn) readLoop() {
	defer close(c.readerDone)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if c.g.faults().HalfOpen {
			c.mu.Lock()
			c.ignored++
			c.mu.Unlock()
			continue
		}
		c.lastData.Store(time.Now().UnixNano())
		if c.sess != nil {
			c.g.handleFrame(c, data)
		}
	}
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// dropDelay is a random interval in DropInterval ± DropJitter.
func dropDelay(f *Faults) time.Duration {
	lo := max(f.DropInterval-f.DropJitter, time.Millisecond)
	hi := max(f.DropInterval+f.DropJitter, lo)
	return lo + rand.N(hi-lo+1)
}
