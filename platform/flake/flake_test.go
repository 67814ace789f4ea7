package flake

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"testing"
	"time"
)

func TestMonotonicAndSortable(t *testing.T) {
	g := New(0)
	prevS := g.Next().String()
	for range 300_000 { // crosses the 65,536-per-millisecond sequence limit
		s := g.Next().String()
		if s <= prevS {
			t.Fatalf("not increasing: %s after %s", s, prevS)
		}
		prevS = s
	}
}

func TestClockStepsBack(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	g := New(7)
	g.now = func() time.Time { return now }
	a := g.Next()
	now = now.Add(-time.Hour)
	b := g.Next()
	if b.String() <= a.String() {
		t.Fatalf("id went back with the clock: %s then %s", a, b)
	}
	if got := b.Time(); !got.Equal(time.UnixMilli(1_700_000_000_000)) {
		t.Fatalf("time = %v, want the last good clock reading", got)
	}
}

func TestParseRoundTrip(t *testing.T) {
	g := New(0)
	for range 1000 {
		id := g.Next()
		got, err := Parse(id.String())
		if err != nil || got != id {
			t.Fatalf("Parse(%s) = %v, %v", id, got, err)
		}
	}
	for _, bad := range []string{"", "short", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "0000000000000000000000000U"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

// TestTwoProcessesNeverCollide runs this test binary twice as child processes,
// each printing ids as fast as it can, and checks the union has no duplicate.
func TestTwoProcessesNeverCollide(t *testing.T) {
	if os.Getenv("FLAKE_CHILD") != "" {
		n, _ := strconv.Atoi(os.Getenv("FLAKE_CHILD"))
		g := New(0)
		w := bufio.NewWriter(os.Stdout)
		for range n {
			fmt.Fprintln(w, g.Next())
		}
		w.Flush()
		os.Exit(0)
	}
	const n = 200_000
	var all []string
	outs := make([][]byte, 2)
	cmds := make([]*exec.Cmd, 2)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestTwoProcessesNeverCollide$")
		cmds[i].Env = append(os.Environ(), "FLAKE_CHILD="+strconv.Itoa(n))
	}
	errc := make(chan error, 2)
	for i, c := range cmds {
		go func() {
			var err error
			outs[i], err = c.Output()
			errc <- err
		}()
	}
	for range cmds {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for _, out := range outs {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			all = append(all, sc.Text())
		}
	}
	if len(all) != 2*n {
		t.Fatalf("got %d ids, want %d", len(all), 2*n)
	}
	sort.Strings(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("collision: %s", all[i])
		}
	}
}

func BenchmarkNext(b *testing.B) {
	g := New(0)
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Next()
	}
}
