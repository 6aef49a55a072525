package cri

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/cri/pinns"
)

// restore loads the records a previous daemon left: complete pods and
// containers are served again (their containers never stopped: the
// monitors hold them); what a crash left half-made is taken apart.
func (s *Server) restore(ctx context.Context) error {
	pods, err := readRecords[sandbox](s.podRecordDir())
	if err != nil {
		return err
	}
	for _, p := range pods {
		if !p.Complete {
			s.log.Warn("removing a pod a crash left half-made", "pod", p.ID)
			s.dismantlePod(ctx, p)
			continue
		}
		if _, err := os.Stat(s.podRunDir(p.ID)); err != nil && p.Ready {
			// The volatile state is gone (the node restarted): the pod's
			// namespaces and network are gone with it.
			p.Ready, p.IPs = false, nil
			s.savePod(p)
		}
		s.pods[p.ID] = p
	}
	s.sweepOrphans()
	ctrs, err := readRecords[container](s.ctrRecordDir())
	if err != nil {
		return err
	}
	for _, c := range ctrs {
		_, podOK := s.pods[c.PodID]
		_, rtErr := s.rt.Lookup(c.ID)
		if !c.Complete || !podOK || rtErr != nil {
			s.log.Warn("removing a container a crash left half-made", "container", c.ID)
			s.rt.Delete(ctx, c.ID, true)
			s.deleteCtrRecord(c.ID)
			continue
		}
		s.ctrs[c.ID] = c
	}
	s.log.Info("restored", "pods", len(s.pods), "containers", len(s.ctrs))
	return nil
}

// dismantlePod removes whatever a half-made pod has.
func (s *Server) dismantlePod(ctx context.Context, p *sandbox) {
	if p.PauseID != "" {
		s.rt.Delete(ctx, p.PauseID, true)
	} else if c, err := s.rt.Lookup(pauseName(p.ID)); err == nil {
		// Started, but the crash came before the record said so.
		s.rt.Delete(ctx, c.ID, true)
	}
	if p.NetNS != "" {
		s.net.TearDown(ctx, s.podNetwork(p))
		pinns.Unpin(p.NetNS)
	}
	for _, ns := range []string{p.IPCNS, p.UTSNS, p.UserNS} {
		if ns != "" {
			pinns.Unpin(ns)
		}
	}
	dir := s.podRunDir(p.ID)
	unix.Unmount(filepath.Join(dir, "shm"), unix.MNT_DETACH)
	os.RemoveAll(dir)
	s.deletePodRecord(p.ID)
}

// sweepOrphans removes network namespaces and pod directories no pod
// record names: a crash between creating one and recording it.
func (s *Server) sweepOrphans() {
	known := map[string]bool{}
	for _, p := range s.pods {
		known[p.NetNS] = true
		known[s.podRunDir(p.ID)] = true
	}
	nsDir := filepath.Join(s.o.RunRoot, "netns")
	entries, _ := os.ReadDir(nsDir)
	for _, e := range entries {
		if p := filepath.Join(nsDir, e.Name()); !known[p] {
			s.log.Warn("removing an orphaned network namespace", "path", p)
			network.RemoveNetNS(p)
		}
	}
	podsDir := filepath.Join(s.o.RunRoot, "cri", "pods")
	entries, _ = os.ReadDir(podsDir)
	for _, e := range entries {
		dir := filepath.Join(podsDir, e.Name())
		if known[dir] {
			continue
		}
		s.log.Warn("removing an orphaned pod directory", "path", dir)
		pinns.Unpin(filepath.Join(dir, "uts"))
		pinns.Unpin(filepath.Join(dir, "ipc"))
		unix.Unmount(filepath.Join(dir, "shm"), unix.MNT_DETACH)
		os.RemoveAll(dir)
	}
}

func readRecords[T any](dir string) ([]*T, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*T
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			continue // a torn write cannot happen (atomic), but never wedge start-up
		}
		out = append(out, v)
	}
	return out, nil
}
