package runtime

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReapLater: many long-lived children are reaped when they exit, and
// waiting for them does not take a thread each.
func TestReapLater(t *testing.T) {
	threads := func() int {
		raw, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(l, "Threads:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				return n
			}
		}
		t.Fatal("no Threads line")
		return 0
	}
	before := threads()
	const n = 40
	var cmds []*exec.Cmd
	var reaped []<-chan struct{}
	for range n {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		reaped = append(reaped, reapLater(cmd))
	}
	t.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
		}
	})
	if got := threads(); got > before+10 {
		t.Errorf("%d threads while waiting for %d children (%d before)", got, n, before)
	}
	for _, c := range cmds {
		c.Process.Kill()
	}
	for i, ch := range reaped {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("child %d not reaped", i)
		}
		// Reaped: no zombie left behind.
		if raw, err := os.ReadFile("/proc/" + strconv.Itoa(cmds[i].Process.Pid) + "/stat"); err == nil && strings.Contains(string(raw), ") Z ") {
			t.Errorf("child %d is a zombie", i)
		}
	}
}
