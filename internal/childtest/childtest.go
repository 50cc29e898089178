// Package childtest starts the running test binary again as a child
// process, for the kill and crash tests of every module: the child runs the
// mode its environment names (read in TestMain or a helper test), the test
// reads its output line by line and kills it.
//
// After killing a child, read its output to the end before judging what was
// lost: what it printed before the kill is still in the pipe.
package childtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"testing"
)

// Start runs os.Args[0] with -test.run=run and env added to the test's own
// environment; the child's stderr is the test's. It returns the command and
// a scanner of its stdout. The child is killed when ctx ends, and killed
// and waited for when the test ends, if it is still running then.
func Start(t testing.TB, ctx context.Context, run string, env ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+run, "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewScanner(out)
}
