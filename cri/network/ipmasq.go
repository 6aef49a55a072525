package network

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// removeIPMasq deletes the nat POSTROUTING rules that a plugin's ipMasq
// option added for the container, and the chains they jump to.
//
// The bridge and ptp plugins learn which addresses to stop masquerading
// from the interface they delete inside the pod's namespace, so a DEL
// without the namespace (it is gone, or the interface is) leaves the rules
// and the per-pod chain behind (plugins v1.1.1, as in Debian 12, and still
// v1.10). The rules carry the comment `name: "NET" id: "ID"`, which finds
// them without knowing the addresses. After a DEL that did remove them this
// finds nothing.
func removeIPMasq(ctx context.Context, list *libcni.NetworkConfigList, containerID string, families []string) error {
	if !hasIPMasq(list) {
		return nil
	}
	if len(families) == 0 {
		families = []string{"4"}
	}
	comment := fmt.Sprintf("name: %q id: %q", list.Name, containerID)
	for _, fam := range families {
		tool := "iptables"
		if fam == "6" {
			tool = "ip6tables"
		}
		rules, err := listRules(ctx, tool, "nat", "POSTROUTING")
		if err != nil {
			return fmt.Errorf("masquerading rules: %w", err)
		}
		for _, r := range rules {
			if r.opt("--comment") != comment {
				continue
			}
			if _, err := runIPTables(ctx, tool, r.deleteArgs("nat")...); err != nil && !isNotExist(err) {
				return fmt.Errorf("masquerading rule: %w", err)
			}
			if target := r.opt("-j"); strings.HasPrefix(target, "CNI-") {
				if err := removeChain(ctx, tool, "nat", target); err != nil {
					return fmt.Errorf("masquerading chain: %w", err)
				}
			}
		}
	}
	return nil
}

// hasIPMasq tells whether a plugin of the list masquerades.
func hasIPMasq(list *libcni.NetworkConfigList) bool {
	for _, p := range list.Plugins {
		var c struct {
			IPMasq bool `json:"ipMasq"`
		}
		if json.Unmarshal(p.Bytes, &c) == nil && c.IPMasq {
			return true
		}
	}
	return false
}

// ipFamilies lists "4" and/or "6" for the addresses of a result.
func ipFamilies(ips []IPConfig) []string {
	var v4, v6 bool
	for _, c := range ips {
		if c.Address.IP.To4() != nil {
			v4 = true
		} else if c.Address.IP != nil {
			v6 = true
		}
	}
	var out []string
	if v4 {
		out = append(out, "4")
	}
	if v6 {
		out = append(out, "6")
	}
	return out
}
