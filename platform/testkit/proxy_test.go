package testkit_test

import (
	"bufio"
	"net"
	"testing"

	"github.com/attendify/platform/testkit"
)

// echo is a line echo server.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(c net.Conn) error {
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err := bufio.NewReader(c).ReadString('\n')
	return err
}

func TestProxy(t *testing.T) {
	p := testkit.NewProxy(t, echo(t))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}

	p.Drop()
	if err := roundTrip(c); err == nil {
		t.Error("a dropped connection still works")
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := roundTrip(c2); err != nil {
		t.Fatalf("a new connection after Drop: %v", err)
	}

	p.Cut()
	if err := roundTrip(c2); err == nil {
		t.Error("a connection survived Cut")
	}
	if c3, err := net.Dial("tcp", p.Addr()); err == nil {
		if err := roundTrip(c3); err == nil {
			t.Error("a new connection went through while cut")
		}
		c3.Close()
	}

	p.Restore()
	c4, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c4.Close()
	if err := roundTrip(c4); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
	if p.Dials() != 3 {
		t.Errorf("Dials() = %d, want 3", p.Dials())
	}
}
