package cgpath

import "testing"

func TestFS(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/ocid/abc", "/ocid/abc"},
		{"ocid/abc", "/ocid/abc"},
		{"/kubepods/besteffort/pod1/abc", "/kubepods/besteffort/pod1/abc"},
		{"kubepods-besteffort-pod1.slice:ocid:abc", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/ocid-abc.scope"},
		{":ocid:abc", "/system.slice/ocid-abc.scope"},
		{"ocid.slice::abc", "/ocid.slice/abc.scope"},
		{"kubepods.slice:ocid:kubepods-burstable.slice", "/kubepods.slice/kubepods-burstable.slice"},
		{"kubepods-besteffort-pod1.slice", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice"},
		{"-.slice:ocid:x", "/ocid-x.scope"},
	} {
		got, err := FS(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("FS(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"a:b", "a.slice:b:", "a-.slice:p:n", "a--b.slice:p:n", "-a.slice:p:n", "notaslice:p:n", "a.slice:p/x:n", ".slice:p:n", "a:b:c:d"} {
		if got, err := FS(bad); err == nil {
			t.Errorf("FS(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSystemdAndIsSystemd(t *testing.T) {
	p := Systemd("kubepods.slice", "ocid", "abc")
	if p != "kubepods.slice:ocid:abc" || !IsSystemd(p) || !IsSystemd("kubepods.slice") || IsSystemd("/ocid/abc") {
		t.Fatalf("Systemd/IsSystemd: %q", p)
	}
}

func FuzzFS(f *testing.F) {
	for _, s := range []string{"/ocid/x", "a-b.slice:p:n", "-.slice", ":p:n", "a--b.slice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := FS(s)
		if err != nil {
			return
		}
		if got == "" || got[0] != '/' {
			t.Fatalf("FS(%q) = %q: not absolute", s, got)
		}
		for i := 0; i+2 < len(got); i++ {
			if got[i:i+3] == "/.." && (i+3 == len(got) || got[i+3] == '/') {
				t.Fatalf("FS(%q) = %q: climbs out", s, got)
			}
		}
	})
}
