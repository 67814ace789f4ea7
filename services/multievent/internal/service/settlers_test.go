package service

import "testing"

// TestSettlers: one settle of an app at a time in a process; a caller that
// finds one at work makes it look again once, however many callers came.
func TestSettlers(t *testing.T) {
	var st settlers
	if !st.start("a") {
		t.Fatal("the first caller does not settle")
	}
	if st.start("a") {
		t.Fatal("a second caller settles while the first runs")
	}
	if st.start("a") {
		t.Fatal("a third caller settles while the first runs")
	}
	if !st.start("b") {
		t.Fatal("another app waits for the first")
	}
	if st.done("a") {
		t.Fatal("done although asked to look again")
	}
	if !st.done("a") {
		t.Fatal("not done after looking again")
	}
	if !st.start("a") {
		t.Fatal("a caller after the end does not settle")
	}
	st.stop("a")
	if !st.start("a") {
		t.Fatal("a caller after a failed settle does not settle")
	}
}
