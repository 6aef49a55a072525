package trust

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

const fullPolicy = `{
    "default": [{"type": "reject"}],
    "transports": {
        "docker": {
            "example.com/ns/app:v1": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/keys/a.gpg"}],
            "example.com/ns": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/etc/keys/a.gpg", "/etc/keys/b.gpg"],
                                "signedIdentity": {"type": "matchRepository"}}],
            "example.com:5000": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "AAEC",
                                  "signedIdentity": {"type": "remapIdentity", "prefix": "example.com:5000", "signedPrefix": "example.com/mirror"}}],
            "*.example.org": [{"type": "sigstoreSigned", "keyPath": "/etc/keys/cosign.pub",
                               "signedIdentity": {"type": "exactRepository", "dockerRepository": "example.org/app"}}],
            "example.net/x@sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7": [{"type": "insecureAcceptAnything"}],
            "[::1]:5000": [{"type": "reject"}],
            "": [{"type": "insecureAcceptAnything"}, {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": {"type": "matchExact"}}]
        },
        "dir": {
            "/var/lib/images": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k",
                                 "signedIdentity": {"type": "exactReference", "dockerReference": "example.com/ns/app:v1"}}]
        },
        "oci": {"/srv/oci": [{"type": "signedBaseLayer", "baseLayerIdentity": {"type": "matchRepoDigestOrExact"}}]},
        "docker-archive": {"": [{"type": "reject"}]},
        "docker-daemon": {"whatever goes": [{"type": "insecureAcceptAnything"}]},
        "store": {"localhost/app": [{"type": "signedBy", "keyType": "X509Certificates", "keyPath": "/k"}]}
    }
}`

func TestParseFullPolicy(t *testing.T) {
	p := mustParse(t, fullPolicy)
	if len(p.Default) != 1 || p.Default[0].Type != TypeReject {
		t.Fatalf("default %+v", p.Default)
	}
	if names := transportNames(p); !reflect.DeepEqual(names, []string{"docker", "dir", "oci", "docker-archive", "docker-daemon", "store"}) {
		t.Fatalf("transport order %v", names)
	}
	r, ok := p.Requirements("docker", "example.com:5000")
	if !ok || string(r[0].KeyData) != "\x00\x01\x02" || r[0].SignedIdentity.SignedPrefix != "example.com/mirror" {
		t.Fatalf("keyData requirement %+v", r)
	}
	if r, _ := p.Requirements("docker", "example.com/ns"); len(r[0].KeyPaths) != 2 {
		t.Fatalf("keyPaths %+v", r[0])
	}
	if r, _ := p.Requirements("docker", "example.com/ns/app:v1"); r[0].SignedIdentity != nil || r[0].identity().Type != MatchRepoDigestOrExact {
		t.Fatal("signedIdentity default")
	}
	// Marshal → parse gives the same policy, and marshal is stable.
	out, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePolicy(out, "again")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(p, back) {
		t.Fatalf("round trip differs:\n%s", out)
	}
	again, _ := back.Marshal()
	if string(again) != string(out) {
		t.Fatal("marshal is not stable")
	}
	if !strings.HasPrefix(string(out), "{\n    \"default\": [\n        {\n            \"type\": \"reject\"") {
		t.Fatalf("layout:\n%s", out)
	}
}

func transportNames(p *Policy) []string {
	var res []string
	for _, t := range p.Transports {
		res = append(res, t.Transport)
	}
	return res
}

func TestParsePolicyDebianDefault(t *testing.T) {
	p := mustParse(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	if len(p.Transports) != 0 || p.Default[0].Type != TypeInsecureAcceptAnything {
		t.Fatal(p)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	sb := func(extra string) string {
		return `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys"` + extra + `}]}}}`
	}
	const at = `policy.json: transports.docker."example.com"[0]`
	cases := []struct{ name, json, want string }{
		{"not JSON", `{`, "policy.json: top level: EOF"},
		{"not an object", `[]`, "policy.json: top level: expected an object, got an array"},
		{"missing default", `{"transports":{}}`, `policy.json: top level: missing key "default"`},
		{"unknown top-level key", `{"default":[{"type":"reject"}],"defaults":[]}`, `policy.json: top level: unknown key "defaults"`},
		{"duplicate top-level key", `{"default":[{"type":"reject"}],"default":[{"type":"reject"}]}`, `policy.json: top level: duplicate key "default"`},
		{"trailing data", `{"default":[{"type":"reject"}]} {}`, "unexpected data after the JSON value"},
		{"empty default", `{"default":[]}`, "policy.json: default: the list of policy requirements must not be empty"},
		{"null default", `{"default":null}`, "policy.json: default: expected an array, got null"},
		{"transports not an object", `{"default":[{"type":"reject"}],"transports":[]}`, "policy.json: transports: expected an object"},
		{"scopes not an object", `{"default":[{"type":"reject"}],"transports":{"docker":[]}}`, "policy.json: transports.docker: expected an object"},
		{"empty scope list", `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[]}}}`, at[:len(at)-3] + ": the list of policy requirements must not be empty"},
		{"duplicate scope", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[{"type":"reject"}],"a.com":[{"type":"reject"}]}}}`, `policy.json: transports.docker: duplicate key "a.com"`},
		{"duplicate transport", `{"default":[{"type":"reject"}],"transports":{"dir":{},"dir":{}}}`, `policy.json: transports: duplicate key "dir"`},
		{"requirement not an object", `{"default":["reject"]}`, "policy.json: default[0]: expected an object, got a string"},
		{"missing type", `{"default":[{}]}`, `policy.json: default[0]: missing key "type"`},
		{"type not a string", `{"default":[{"type":1}]}`, "policy.json: default[0].type: expected a string"},
		{"unknown type", `{"default":[{"type":"acceptAll"}]}`, `policy.json: default[0].type: unknown policy requirement type "acceptAll"`},
		{"extra key on reject", `{"default":[{"type":"reject","keyPath":"/k"}]}`, `policy.json: default[0]: unknown key "keyPath"`},
		{"extra key on accept", `{"default":[{"type":"insecureAcceptAnything","x":1}]}`, `unknown key "x"`},
		{"typo in signedBy key", sb(`,"keyPth":"/k"`), at + `: unknown key "keyPth"`},
		{"duplicate signedBy key", sb(`,"keyPath":"/k","keyPath":"/j"`), at + `: duplicate key "keyPath"`},
		{"no key source", sb(``), at + ": exactly one of keyPath, keyPaths and keyData must be specified, 0 present"},
		{"two key sources", sb(`,"keyPath":"/k","keyData":"AA=="`), "2 present"},
		{"missing keyType", `{"default":[{"type":"signedBy","keyPath":"/k"}]}`, `policy.json: default[0]: missing key "keyType"`},
		{"bad keyType", `{"default":[{"type":"signedBy","keyType":"PGP","keyPath":"/k"}]}`, `policy.json: default[0].keyType: unrecognized keyType "PGP"`},
		{"empty keyPath", sb(`,"keyPath":""`), at + ".keyPath: must not be empty"},
		{"keyPath not a string", sb(`,"keyPath":["/k"]`), at + ".keyPath: expected a string"},
		{"empty keyPaths", sb(`,"keyPaths":[]`), at + ".keyPaths: the list of key paths must not be empty"},
		{"keyPaths element", sb(`,"keyPaths":["/k",2]`), at + ".keyPaths[1]: expected a string"},
		{"bad base64", sb(`,"keyData":"!!"`), at + ".keyData: invalid base64"},
		{"empty keyData", sb(`,"keyData":""`), at + ".keyData: must not be empty"},
		{"signedIdentity not an object", sb(`,"keyPath":"/k","signedIdentity":"matchExact"`), at + ".signedIdentity: expected an object"},
		{"unknown identity type", sb(`,"keyPath":"/k","signedIdentity":{"type":"matchAll"}`), at + `.signedIdentity.type: unknown signedIdentity type "matchAll"`},
		{"extra identity key", sb(`,"keyPath":"/k","signedIdentity":{"type":"matchExact","dockerReference":"a:b"}`), at + `.signedIdentity: unknown key "dockerReference"`},
		{"exactReference without tag", sb(`,"keyPath":"/k","signedIdentity":{"type":"exactReference","dockerReference":"example.com/a"}`), "has neither a tag nor a digest"},
		{"exactReference invalid", sb(`,"keyPath":"/k","signedIdentity":{"type":"exactReference","dockerReference":"example.com/UPPER:1"}`), "invalid docker reference"},
		{"exactReference missing", sb(`,"keyPath":"/k","signedIdentity":{"type":"exactReference"}`), `missing key "dockerReference"`},
		{"exactRepository invalid", sb(`,"keyPath":"/k","signedIdentity":{"type":"exactRepository","dockerRepository":"a//b"}`), "invalid docker repository"},
		{"remap prefix invalid", sb(`,"keyPath":"/k","signedIdentity":{"type":"remapIdentity","prefix":"example.com/UPPER","signedPrefix":"example.com"}`), at + `.signedIdentity.prefix: invalid prefix "example.com/UPPER"`},
		{"remap missing signedPrefix", sb(`,"keyPath":"/k","signedIdentity":{"type":"remapIdentity","prefix":"example.com"}`), `missing key "signedPrefix"`},
		{"sigstore keyPaths", `{"default":[{"type":"sigstoreSigned","keyPaths":["/k"]}]}`, `policy.json: default[0]: unknown key "keyPaths"`},
		{"sigstore no key", `{"default":[{"type":"sigstoreSigned"}]}`, "exactly one of keyPath and keyData must be specified, 0 present"},
		{"sigstore keyType", `{"default":[{"type":"sigstoreSigned","keyType":"GPGKeys","keyPath":"/k"}]}`, `unknown key "keyType"`},
		{"baseLayer missing identity", `{"default":[{"type":"signedBaseLayer"}]}`, `missing key "baseLayerIdentity"`},
		{"docker scope invalid", `{"default":[{"type":"reject"}],"transports":{"docker":{"Example.com/UPPER":[{"type":"reject"}]}}}`, `policy.json: transports.docker."Example.com/UPPER": invalid docker scope`},
		{"docker scope with tag and digest", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.com/b:1@sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7":[{"type":"reject"}]}}}`, "a tag and a digest"},
		{"wildcard with port", `{"default":[{"type":"reject"}],"transports":{"docker":{"*.example.com:5000":[{"type":"reject"}]}}}`, "invalid wildcard scope"},
		{"wildcard in the middle", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.*.com":[{"type":"reject"}]}}}`, "invalid docker scope"},
		{"store scope invalid", `{"default":[{"type":"reject"}],"transports":{"store":{"/path":[{"type":"reject"}]}}}`, "invalid docker scope"},
		{"dir relative", `{"default":[{"type":"reject"}],"transports":{"dir":{"var/lib":[{"type":"reject"}]}}}`, `policy.json: transports.dir."var/lib": invalid scope "var/lib": must be an absolute path`},
		{"dir root", `{"default":[{"type":"reject"}],"transports":{"dir":{"/":[{"type":"reject"}]}}}`, `invalid scope "/"`},
		{"dir unclean", `{"default":[{"type":"reject"}],"transports":{"dir":{"/var/lib/":[{"type":"reject"}]}}}`, "not in canonical form"},
		{"oci unclean", `{"default":[{"type":"reject"}],"transports":{"oci":{"/a/../b":[{"type":"reject"}]}}}`, "not in canonical form"},
		{"oci-archive relative", `{"default":[{"type":"reject"}],"transports":{"oci-archive":{"x.tar":[{"type":"reject"}]}}}`, "must be an absolute path"},
		{"docker-archive scope", `{"default":[{"type":"reject"}],"transports":{"docker-archive":{"/x.tar":[{"type":"reject"}]}}}`, `does not support any scopes except the default ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(c.json), "policy.json")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "policy.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			var fe *FormatError
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !errors.As(err, &fe) {
				t.Fatalf("%v is not a FormatError wrapping ErrInvalidArgument", err)
			}
		})
	}
}

func TestKeyDataAcceptsArmoredAndBinary(t *testing.T) {
	_, key, _ := fixtures(t)
	for _, data := range [][]byte{key.Public, key.PublicArmored} {
		p := mustParse(t, `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"`+base64.StdEncoding.EncodeToString(data)+`"}]}`)
		pc := NewPolicyContext(p, nil)
		kr, err := pc.gpgKeyring(p.Default[0])
		if err != nil || kr.Len() != 1 || kr.Fingerprints()[0] != key.Fingerprint {
			t.Fatalf("keyData: %v", err)
		}
	}
}
