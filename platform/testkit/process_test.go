package testkit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/attendify/platform/pg"
	"github.com/attendify/platform/testkit"
)

const childEnv = "TESTKIT_CHILD_MIGRATION"

// Test binaries of several packages run at once and may need the same
// template: several processes with a never-seen migration race to build it,
// and each gets a working database.
func TestTemplateSharedAcrossProcesses(t *testing.T) {
	if table := os.Getenv(childEnv); table != "" {
		child(t, table)
		return
	}
	table := fmt.Sprintf("t%x", rand.Uint64()) // new content: no template yet
	const processes = 3
	var wg sync.WaitGroup
	for i := range processes {
		wg.Go(func() {
			cmd := exec.CommandContext(testkit.Context(t), os.Args[0], "-test.run=^TestTemplateSharedAcrossProcesses$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+table)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, out)
			}
		})
	}
	wg.Wait()
}

func child(t *testing.T, table string) {
	src := pg.Source{Name: "proc", FS: fstest.MapFS{
		"00001_init.sql": {Data: []byte("-- +goose Up\nCREATE TABLE " + table + " (id int);\n")},
	}}
	pool := testkit.Postgres(t, "kitproc", src)
	if _, err := pool.Exec(context.Background(), "INSERT INTO "+table+" VALUES (1)"); err != nil {
		t.Fatal(err)
	}
}
