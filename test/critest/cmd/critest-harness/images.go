package main

import (
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// The stand-in images. Names, tags and users come from cri-tools v1.37.0
// (pkg/validate/consts.go, pkg/framework/util.go and images/): every image
// critest pulls by tag is built here; the one it pulls by a fixed upstream
// digest (test-image-digest@sha256:9700f9a2...) cannot be, and its spec is
// in the skip lists.
const (
	k8sE2E  = "registry.k8s.io/e2e-test-images/"
	criTest = "gcr.io/k8s-staging-cri-tools/"
	// SandboxImage is what run.sh configures containerd to start pods with.
	// It must not be the same image as pause:3.9, which critest removes
	// (by ID) in its image tests.
	sandboxImage = "registry.k8s.io/pause:3.10"
)

// passwd and group are those of a busybox image, plus nothing: www-data
// (uid 33) is used by test-image-user-username*, nobody by RunAsUserName.
const passwd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`

const group = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`

func imagesCmd(args []string) error {
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	busybox := fs.String("busybox", "", "dynamically linked busybox binary (Debian's busybox package)")
	pause := fs.String("pause", "", "static critest-pause binary")
	web := fs.String("web", "", "static critest-web binary")
	applets := fs.String("applets", "", "static critest-applets binary")
	out := fs.String("out", "", "OCI layout directory to (re)create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for n, v := range map[string]string{"busybox": *busybox, "pause": *pause, "web": *web, "applets": *applets, "out": *out} {
		if v == "" {
			return fmt.Errorf("images: --%s is required", n)
		}
	}
	for _, bin := range []string{*pause, *web, *applets} {
		if err := checkStatic(bin); err != nil {
			return err
		}
	}

	base, err := baseLayer(*busybox, *applets)
	if err != nil {
		return err
	}

	w, err := newLayoutWriter(*out)
	if err != nil {
		return err
	}
	sh := []string{"sh"}

	// The default container image: busybox and nothing else.
	if err := w.image(imageSpec{name: "busybox", upstream: []string{k8sE2E + "busybox:1.29-2"}, layers: []*layer{base}, cmd: sh}); err != nil {
		return err
	}

	// Web servers: nginx (port 80), hostnet-nginx (port 12003, run in the
	// host network by the port-forward test), httpd (port 80).
	nginx, err := webLayer(*web, "nginx", 80)
	if err != nil {
		return err
	}
	hostnet := newLayer("hostnet-nginx: listen on 12003")
	hostnet.file("etc/nginx/conf.d/default.conf", 0o644, []byte(nginxConf(12003)))
	nginxCmd := []string{"nginx", "-g", "daemon off;"}
	if err := w.image(imageSpec{name: "nginx", upstream: []string{k8sE2E + "nginx:1.14-2"}, layers: []*layer{base, nginx}, cmd: nginxCmd, ports: []string{"80/tcp"}}); err != nil {
		return err
	}
	if err := w.image(imageSpec{name: "hostnet-nginx", upstream: []string{criTest + "hostnet-nginx-amd64:latest"}, layers: []*layer{base, nginx, hostnet}, cmd: nginxCmd, ports: []string{"12003/tcp"}}); err != nil {
		return err
	}
	httpd, err := webLayer(*web, "httpd", 80)
	if err != nil {
		return err
	}
	if err := w.image(imageSpec{
		name: "httpd", upstream: []string{k8sE2E + "httpd:2.4.39-4"}, layers: []*layer{base, httpd},
		cmd: []string{"httpd", "-DFOREGROUND"}, workdir: "/usr/local/apache2", ports: []string{"80/tcp"},
		env: []string{"PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HTTPD_PREFIX=/usr/local/apache2"},
	}); err != nil {
		return err
	}

	// nonewprivs: a set-user-ID root program that prints its effective uid.
	nnp := newLayer("nonewprivs: set-user-ID nnp")
	if err := nnp.hostFile("usr/local/bin/nnp", 0o4755, *applets); err != nil {
		return err
	}
	if err := w.image(imageSpec{name: "nonewprivs", upstream: []string{k8sE2E + "nonewprivs:1.3"}, layers: []*layer{base, nnp}, entrypoint: []string{"/usr/local/bin/nnp"}}); err != nil {
		return err
	}

	// pause: the image of the "same image, different registries" tests, and
	// a different one (a label apart) for the runtime's sandboxes.
	pl := newLayer("pause")
	if err := pl.hostFile("pause", 0o755, *pause); err != nil {
		return err
	}
	if err := w.image(imageSpec{name: "pause-3.9", upstream: []string{"registry.k8s.io/pause:3.9", "k8s.gcr.io/pause:3.9"}, layers: []*layer{pl}, entrypoint: []string{"/pause"}, user: "65535:65535", env: []string{}}); err != nil {
		return err
	}
	if err := w.image(imageSpec{name: "pause-sandbox", upstream: []string{sandboxImage}, layers: []*layer{pl}, entrypoint: []string{"/pause"}, user: "65535:65535", env: []string{},
		labels: map[string]string{"io.ocid.critest.role": "sandbox"}}); err != nil {
		return err
	}

	// cri-tools' own test images: busybox plus an empty file named after
	// the image (images/image-test: ADD ${TEST}), so that each differs.
	marked := func(mark string) *layer {
		l := newLayer("ADD " + mark)
		l.file(mark, 0o644, nil)
		return l
	}
	for _, t := range []struct{ name, mark string }{
		{"test-image-latest:latest", "test-image-latest"},
		{"test-image-1:latest", "test-image-1"},
		{"test-image-2:latest", "test-image-2"},
		{"test-image-3:latest", "test-image-3"},
		{"test-image-tag:test", "test"},
		{"test-image-tag:all", "all"},
	} {
		if err := w.image(imageSpec{name: strings.ReplaceAll(t.name, ":", "-"), upstream: []string{criTest + t.name}, layers: []*layer{base, marked(t.mark)}, cmd: sh}); err != nil {
			return err
		}
	}
	// Three tags of one image.
	if err := w.image(imageSpec{name: "test-image-tags", upstream: []string{criTest + "test-image-tags:1", criTest + "test-image-tags:2", criTest + "test-image-tags:3"},
		layers: []*layer{base, marked("same-image")}, cmd: sh}); err != nil {
		return err
	}
	// Images whose config names a user (images/image-user).
	for _, u := range []struct{ name, user string }{
		{"test-image-user-uid", "1002"},
		{"test-image-user-username", "www-data"},
		{"test-image-user-uid-group", "1003:1004"},
		{"test-image-user-username-group", "www-data:1004"},
	} {
		if err := w.image(imageSpec{name: u.name, upstream: []string{criTest + u.name + ":latest"}, layers: []*layer{base}, cmd: sh, user: u.user}); err != nil {
			return err
		}
	}
	// images/image-predefined-group: default-user (1000) is a member of
	// group-defined-in-image (50000) in the image's /etc/group.
	pg := newLayer("default-user and group-defined-in-image")
	pg.dirs(0o755, "etc", "home")
	pg.file("etc/passwd", 0o644, []byte(passwd+"default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh\n"))
	pg.file("etc/group", 0o644, []byte(group+"default-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n"))
	pg.dirOwned("home/default-user", 0o755, 1000, 1000)
	if err := w.image(imageSpec{name: "test-image-predefined-group", upstream: []string{criTest + "test-image-predefined-group:latest"}, layers: []*layer{base, pg}, cmd: sh, user: "1000"}); err != nil {
		return err
	}
	return w.finish()
}

// baseLayer is a busybox root file system: Debian's dynamically linked
// busybox with its libraries, every applet a hard link in /bin (so that a
// masked /bin/ls is really absent for `sh -c ls`), pgrep and ipcs from
// critest-applets, and busybox's /etc/passwd and /etc/group.
func baseLayer(busybox, applets string) (*layer, error) {
	l := newLayer("busybox (Debian, dynamic) + pgrep, ipcs")
	l.dirs(0o755, "bin", "dev", "etc", "home", "lib", "lib64", "proc", "sys", "usr/bin", "usr/sbin", "usr/local/bin", "sbin", "var/spool/mail", "var/www", "var/run", "var/log")
	l.dirs(0o700, "root")
	l.dirs(0o1777, "tmp")
	if err := l.hostFile("bin/busybox", 0o755, busybox); err != nil {
		return nil, err
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", busybox, err)
	}
	for _, a := range strings.Fields(string(list)) {
		if a == "busybox" || a == "linuxrc" || strings.Contains(a, "/") {
			continue
		}
		l.hardlink("bin/"+a, "bin/busybox")
	}
	if err := l.hostFile("bin/pgrep", 0o755, applets); err != nil {
		return nil, err
	}
	l.hardlink("bin/ipcs", "bin/pgrep")

	libs, interp, err := sharedLibraries(busybox)
	if err != nil {
		return nil, err
	}
	for _, lib := range libs {
		if err := l.hostFile("lib/x86_64-linux-gnu/"+filepath.Base(lib), 0o755, lib); err != nil {
			return nil, err
		}
	}
	if interp != "" {
		// The program interpreter is found by its absolute path.
		if !l.seen[strings.TrimPrefix(interp, "/")] {
			l.symlink(interp, "/lib/x86_64-linux-gnu/"+filepath.Base(interp))
		}
	}
	l.file("etc/passwd", 0o644, []byte(passwd))
	l.file("etc/group", 0o644, []byte(group))
	l.file("etc/nsswitch.conf", 0o644, []byte("passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"))
	return l, nil
}

// webLayer installs critest-web as nginx or httpd with the configuration
// file it reads its port from.
func webLayer(web, server string, port int) (*layer, error) {
	l := newLayer(server + " stand-in (critest-web)")
	switch server {
	case "nginx":
		if err := l.hostFile("usr/sbin/nginx", 0o755, web); err != nil {
			return nil, err
		}
		l.file("etc/nginx/conf.d/default.conf", 0o644, []byte(nginxConf(port)))
		l.file("usr/share/nginx/html/index.html", 0o644, []byte("served by critest-web\n"))
		l.dirs(0o755, "var/log/nginx", "var/cache/nginx")
	case "httpd":
		if err := l.hostFile("usr/local/apache2/bin/httpd", 0o755, web); err != nil {
			return nil, err
		}
		l.file("usr/local/apache2/conf/httpd.conf", 0o644, []byte(fmt.Sprintf("# read by critest-web\nListen %d\n", port)))
		l.file("usr/local/apache2/htdocs/index.html", 0o644, []byte("served by critest-web\n"))
		l.dirs(0o755, "usr/local/apache2/logs")
	}
	return l, nil
}

func nginxConf(port int) string {
	return fmt.Sprintf("# read by critest-web: only the listen port matters\nserver {\n    listen       %d;\n    server_name  localhost;\n}\n", port)
}

// sharedLibraries returns the files of every library bin needs (DT_NEEDED,
// recursively, resolved as the Debian loader would) and its interpreter.
func sharedLibraries(bin string) (libs []string, interp string, err error) {
	dirs := []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
	seen := map[string]bool{}
	var walk func(file string, top bool) error
	walk = func(file string, top bool) error {
		f, err := elf.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		if top {
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					b := make([]byte, p.Filesz)
					if _, err := p.ReadAt(b, 0); err != nil {
						return err
					}
					interp = strings.TrimRight(string(b), "\x00")
				}
			}
		}
		needed, err := f.ImportedLibraries()
		if err != nil {
			return err
		}
		for _, n := range needed {
			if seen[n] {
				continue
			}
			seen[n] = true
			found := ""
			for _, d := range dirs {
				if _, err := os.Stat(path.Join(d, n)); err == nil {
					found = path.Join(d, n)
					break
				}
			}
			if found == "" {
				return fmt.Errorf("%s: library %s not found", file, n)
			}
			libs = append(libs, found)
			if err := walk(found, false); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(bin, true); err != nil {
		return nil, "", err
	}
	if interp != "" && !seen[filepath.Base(interp)] {
		real, err := filepath.EvalSymlinks(interp)
		if err != nil {
			return nil, "", err
		}
		// Keep the interpreter's own name (ld-linux-x86-64.so.2), not the
		// name of the file it resolves to.
		libs = append(libs, real)
		if filepath.Base(real) != filepath.Base(interp) {
			return nil, "", fmt.Errorf("interpreter %s resolves to %s: unexpected name", interp, real)
		}
	}
	return libs, interp, nil
}

// checkStatic refuses a binary with a program interpreter: the images
// other than busybox's have no C library.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; build it with CGO_ENABLED=0", bin)
		}
	}
	return nil
}
