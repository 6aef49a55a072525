package cri

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	remotecommand "k8s.io/cri-streaming/pkg/streaming/remotecommand"

	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/attach"
)

// streamServer is the kubelet's streaming server library (SPDY and
// websockets) serving exec, attach and port-forward.
type streamServer = streaming.Server

// StartStreaming starts the streaming server on addr (127.0.0.1:0 by
// default: nothing listens beyond loopback unless configured).
func (s *Server) StartStreaming(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("streaming server: %w", err)
	}
	cfg := streaming.DefaultConfig
	cfg.Addr = l.Addr().String()
	cfg.BaseURL = &url.URL{Scheme: "http", Host: cfg.Addr}
	srv, err := streaming.NewServer(cfg, &streamRuntime{s})
	if err != nil {
		l.Close()
		return "", err
	}
	s.stream = srv
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	go hs.Serve(l)
	return cfg.Addr, nil
}

// Exec returns the URL to stream an exec at.
func (s *Server) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	if _, err := s.findCtr(req.ContainerId); err != nil {
		return nil, err
	}
	return s.stream.GetExec(req)
}

// Attach returns the URL to stream an attach at.
func (s *Server) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	if _, err := s.findCtr(req.ContainerId); err != nil {
		return nil, err
	}
	return s.stream.GetAttach(req)
}

// PortForward returns the URL to stream a port-forward at.
func (s *Server) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	if _, err := s.findPod(req.PodSandboxId); err != nil {
		return nil, err
	}
	return s.stream.GetPortForward(req)
}

// streamRuntime does the streaming work.
type streamRuntime struct{ s *Server }

func (r *streamRuntime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	o := runtime.ExecOptions{Args: cmd, Stdin: in, Terminal: tty}
	if out != nil {
		o.Stdout = out
	}
	if errOut != nil {
		o.Stderr = errOut
	}
	if resize != nil {
		ch := make(chan runtime.Size, 1)
		go func() {
			defer close(ch)
			for sz := range resize {
				ch <- runtime.Size{Width: sz.Width, Height: sz.Height}
			}
		}()
		o.Resize = ch
	}
	code, err := r.s.rt.Exec(ctx, id, o)
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code}
	}
	return nil
}

func (r *streamRuntime) Attach(ctx context.Context, id string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	sock, c, err := r.s.rt.AttachSocket(id)
	if err != nil {
		return err
	}
	client, err := attach.Dial(sock, attach.ClientOptions{Stdin: in != nil && c.Stdin, Stdout: out != nil, Stderr: errOut != nil && !c.Terminal, TTY: c.Terminal})
	if err != nil {
		return err
	}
	var sizes chan attach.Size
	if resize != nil {
		sizes = make(chan attach.Size, 1)
		go func() {
			defer close(sizes)
			for sz := range resize {
				sizes <- attach.Size{Width: sz.Width, Height: sz.Height}
			}
		}()
	}
	var stdout, stderr io.Writer = io.Discard, io.Discard
	if out != nil {
		stdout = out
	}
	if errOut != nil {
		stderr = errOut
	}
	var stdin io.Reader
	if c.Stdin {
		stdin = in
	}
	_, err = client.Run(ctx, stdin, stdout, stderr, sizes)
	return err
}

// PortForward connects the stream to port on the pod's loopback, from
// inside its network namespace.
func (r *streamRuntime) PortForward(ctx context.Context, podID string, port int32, stream io.ReadWriteCloser) error {
	p, err := r.s.findPod(podID)
	if err != nil {
		return err
	}
	var conn net.Conn
	dial := func() error {
		d := net.Dialer{Timeout: 10 * time.Second}
		c, err := d.DialContext(ctx, "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		conn = c
		return err
	}
	if p.NetNS == "" {
		err = dial()
	} else {
		var ns *network.NetNS
		if ns, err = network.LoadNetNS(p.NetNS); err == nil {
			err = ns.Do(dial)
		}
	}
	if err != nil {
		return fmt.Errorf("port-forward to pod %s port %d: %w", p.ID, port, err)
	}
	defer conn.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(conn, stream)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	io.Copy(stream, conn)
	wg.Wait()
	return nil
}

// exitError carries a non-zero exit code to the streaming library, which
// reports it to the client.
type exitError struct{ code int }

func (e *exitError) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.code)
}
func (e *exitError) String() string  { return e.Error() }
func (e *exitError) Exited() bool    { return true }
func (e *exitError) ExitStatus() int { return e.code }
