package apitest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of PostgreSQL that a test can cut and restore, to simulate an outage
// without stopping the server other tests share.
type Proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	down    bool
	stalled bool
	resume  *sync.Cond
	conns   map[net.Conn]struct{}
}

// NewProxy proxies to the host:port of databaseURL and returns the proxy and databaseURL rewritten to it.
func NewProxy(t testing.TB, databaseURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: u.Host, conns: map[net.Conn]struct{}{}}
	p.resume = sync.NewCond(&p.mu)
	t.Cleanup(func() { ln.Close(); p.SetStalled(false); p.SetDown(true) })
	go p.serve()
	u.Host = ln.Addr().String()
	return p, u.String()
}

// SetDown cuts every connection and refuses new ones (down) or accepts them again (up).
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// SetStalled makes the database accept connections and answer nothing (stalled), as a hung server or a
// black-holing network does, or lets everything held back through again.
func (p *Proxy) SetStalled(stalled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = stalled
	if !stalled {
		p.resume.Broadcast()
	}
}

// waitWhileStalled blocks while the proxy is stalled.
func (p *Proxy) waitWhileStalled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled {
		p.resume.Wait()
	}
}

// pipe copies src to dst, holding every chunk back while the proxy is stalled.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitWhileStalled()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
}

func (p *Proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(client)
	}
}

func (p *Proxy) handle(client net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		client.Close()
		return
	}
	p.waitWhileStalled()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns[client] = struct{}{}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	go p.pipe(server, client)
	p.pipe(client, server)
}
