// Command stamped is the smallest service main: the build test links it
// with make release's -ldflags and runs its built-in commands.
package main

import (
	"context"
	"errors"

	"github.com/attendify/platform/runner"
)

func main() {
	runner.Main(func(context.Context) error { return errors.New("run reached: the built-in command was not handled") })
}
