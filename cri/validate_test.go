package cri

import (
	"errors"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/errdefs"
)

func TestValidateUserns(t *testing.T) {
	one := []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 1000, Length: 65536}}
	for _, tc := range []struct {
		name string
		u    *runtimeapi.UserNamespace
		want string // "" = accepted
	}{
		{"none", nil, ""},
		{"node", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}, ""},
		{"node with mappings", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE, Uids: one, Gids: one}, "takes no ID mappings"},
		{"container", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_CONTAINER}, "not supported"},
		{"target", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_TARGET}, "not supported"},
		{"two mappings", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD,
			Uids: append(one, &runtimeapi.IDMapping{ContainerId: 0, HostId: 2000, Length: 10}), Gids: one}, "exactly one UID mapping, got 2"},
		{"no gid mapping", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one}, "exactly one GID mapping, got 0"},
		{"root unmapped", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD,
			Uids: []*runtimeapi.IDMapping{{ContainerId: 1, HostId: 1000, Length: 10}}, Gids: one}, "must map container ID 0"},
		{"empty", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD,
			Uids: []*runtimeapi.IDMapping{{HostId: 1000}}, Gids: one}, "length 0"},
		{"overflow", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD,
			Uids: []*runtimeapi.IDMapping{{HostId: 1 << 31, Length: 1 << 31}}, Gids: one}, "past the largest ID"},
		{"pod", &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: one}, ""},
	} {
		err := validateUserns(tc.u)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, errdefs.ErrInvalidArgument)):
			t.Errorf("%s: got %v, want an invalid-argument error with %q", tc.name, err, tc.want)
		}
	}
}

func TestUserString(t *testing.T) {
	i := func(v int64) *runtimeapi.Int64Value { return &runtimeapi.Int64Value{Value: v} }
	for _, tc := range []struct {
		sc   *runtimeapi.LinuxContainerSecurityContext
		want string
	}{
		{nil, ""},
		{&runtimeapi.LinuxContainerSecurityContext{RunAsUser: i(1000)}, "1000"},
		{&runtimeapi.LinuxContainerSecurityContext{RunAsUser: i(0), RunAsGroup: i(5)}, "0:5"},
		{&runtimeapi.LinuxContainerSecurityContext{RunAsUsername: "nobody", RunAsGroup: i(5)}, "nobody:5"},
		{&runtimeapi.LinuxContainerSecurityContext{RunAsUsername: "www", RunAsUser: i(7)}, "www"},
	} {
		got, err := userString(tc.sc)
		if err != nil || got != tc.want {
			t.Errorf("%v: %q %v, want %q", tc.sc, got, err, tc.want)
		}
	}
	if _, err := userString(&runtimeapi.LinuxContainerSecurityContext{RunAsGroup: i(5)}); err == nil {
		t.Error("a group without a user was accepted")
	}
}
