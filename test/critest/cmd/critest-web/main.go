// Command critest-web is the static web server that stands in for the nginx
// and httpd images critest runs (registry.k8s.io/e2e-test-images/nginx,
// .../httpd and gcr.io/k8s-staging-cri-tools/hostnet-nginx-ARCH). It is
// installed in those images under the name of the server it replaces, and
// what critest checks decides how it behaves:
//
//   - as /usr/sbin/nginx it re-executes itself (same PID) with the process
//     title "nginx: master process nginx -g daemon off;", so its comm is
//     "nginx" (found by `pidof nginx`) and /proc/PID/cmdline contains
//     "master process"; once listening it writes its PID to
//     /var/run/nginx.pid, and it listens on the port of the first `listen N;`
//     in /etc/nginx/conf.d/default.conf (80 without that file);
//   - as httpd it logs a line naming httpd to stderr (critest looks for
//     "httpd" in the container log) and listens on the first `Listen N` of
//     /usr/local/apache2/conf/httpd.conf (80 without that file).
//
// It serves one fixed page at / and 404 elsewhere, logs each request to
// stdout, and exits 0 on SIGTERM, SIGINT or SIGQUIT.
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const masterTitle = "nginx: master process "

const page = `<!DOCTYPE html>
<html>
<head><title>critest web server</title></head>
<body>
<h1>It works</h1>
<p>This is the static web server of ocid's CRI conformance harness,
standing in for the web server image that critest pulls.</p>
</body>
</html>
`

func main() {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "critest-web:", err)
		os.Exit(1)
	}
	name := filepath.Base(exe)
	switch name {
	case "httpd":
		serve("httpd", listenPort("/usr/local/apache2/conf/httpd.conf", "Listen"), "/usr/local/apache2/logs/httpd.pid")
	default:
		if !strings.HasPrefix(os.Args[0], masterTitle) {
			// Same PID, new title: nginx's master process rewrites its
			// argv the same way.
			argv := []string{masterTitle + strings.Join(append([]string{"nginx"}, os.Args[1:]...), " ")}
			if err := syscall.Exec(exe, argv, os.Environ()); err != nil {
				fmt.Fprintln(os.Stderr, "nginx: re-exec:", err)
				os.Exit(1)
			}
		}
		serve("nginx", listenPort("/etc/nginx/conf.d/default.conf", "listen"), "/var/run/nginx.pid")
	}
}

// listenPort returns the port of the first "KEYWORD PORT" line of file, or
// 80. "listen 12003;" and "Listen 8080" both work; an address before the
// port ("127.0.0.1:80") is ignored.
func listenPort(file, keyword string) int {
	f, err := os.Open(file)
	if err != nil {
		return 80
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(strings.TrimSpace(sc.Text()))
		if len(fields) < 2 || fields[0] != keyword {
			continue
		}
		v := strings.TrimSuffix(fields[1], ";")
		if i := strings.LastIndex(v, ":"); i >= 0 {
			v = v[i+1:]
		}
		if p, err := strconv.Atoi(v); err == nil && p > 0 && p < 65536 {
			return p
		}
	}
	return 80
}

func serve(server string, port int, pidFile string) {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: listen on port %d: %v\n", server, port, err)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Dir(pidFile), 0o755); err == nil {
		tmp := pidFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err == nil {
			_ = os.Rename(tmp, pidFile)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: critest stand-in web server listening on port %d, pid %d\n", server, port, os.Getpid())

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusOK
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			status = http.StatusNotFound
			http.Error(w, "404 Not Found", status)
		} else {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Server", server)
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				_, _ = w.Write([]byte(page))
			}
		}
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Printf("%s - - [%s] %q %d %q\n", host, time.Now().Format("02/Jan/2006:15:04:05 -0700"),
			r.Method+" "+r.URL.RequestURI()+" "+r.Proto, status, r.UserAgent())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	go func() {
		<-sigs
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "%s: %v\n", server, err)
		os.Exit(1)
	}
	_ = os.Remove(pidFile)
}
