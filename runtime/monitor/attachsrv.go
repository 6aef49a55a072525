package monitor

import (
	"log/slog"

	"github.com/ocid-project/ocid/runtime/attach"
	"github.com/ocid-project/ocid/runtime/crilog"
)

// attachServer is what the monitor needs of the attach server.
type attachServer interface {
	Broadcast(stream crilog.Stream, p []byte)
	Exit(code int)
	Close() error
}

type attachAdapter struct{ s *attach.Server }

func newAttachServer(path string, h *stdio, log *slog.Logger) (attachServer, error) {
	s, err := attach.NewServer(path, h, attach.ServerOptions{Log: log})
	if err != nil {
		return nil, err
	}
	return attachAdapter{s}, nil
}

func (a attachAdapter) Broadcast(stream crilog.Stream, p []byte) {
	if stream == crilog.Stderr {
		a.s.Broadcast(attach.Stderr, p)
		return
	}
	a.s.Broadcast(attach.Stdout, p)
}

func (a attachAdapter) Exit(code int) { a.s.Exit(code) }
func (a attachAdapter) Close() error  { return a.s.Close() }
