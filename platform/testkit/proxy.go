package testkit

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy in front of a store that a test controls: it can drop
// every open connection, or cut the store off altogether (as a crash, a
// restart or a partition would) and later restore it. Clients connect to
// Addr instead of the store.
type Proxy struct {
	target string
	ln     net.Listener
	cut    atomic.Bool
	dials  atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]bool
}

// NewProxy starts a proxy to target (host:port) on a free loopback port; it
// stops when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Drop()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Dials is how many connections the proxy has passed through to the store.
func (p *Proxy) Dials() int64 { return p.dials.Load() }

// Drop closes every open connection, on both sides; new ones go through.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Cut drops every connection and closes each new one at once, until
// Restore: to its clients the store is gone.
func (p *Proxy) Cut() {
	p.cut.Store(true)
	p.Drop()
}

// Restore lets connections through again after Cut.
func (p *Proxy) Restore() { p.cut.Store(false) }

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.cut.Load() {
			c.Close()
			continue
		}
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.cut.Load() {
		p.mu.Unlock()
		client.Close()
		upstream.Close()
		return
	}
	p.conns[client], p.conns[upstream] = true, true
	p.mu.Unlock()
	p.dials.Add(1)

	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(upstream, client)
	go pipe(client, upstream)
	<-done // one side ended: end both
	client.Close()
	upstream.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, upstream)
	p.mu.Unlock()
}
