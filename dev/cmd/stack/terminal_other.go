//go:build !linux

package main

// takeTerminal does nothing outside Linux: Ctrl-C reaches make as well.
func takeTerminal() (restore func()) { return func() {} }
