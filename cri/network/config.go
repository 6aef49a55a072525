package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containernetworking/cni/libcni"

	"github.com/ocid-project/ocid/errdefs"
)

// confExtensions are the files the kubelet and CRI-O read as network
// configuration.
var confExtensions = []string{".conf", ".conflist", ".json"}

// notReadyError says why there is no usable network. It prints only its
// message (it becomes the CRI NetworkReady condition's message) and wraps
// ErrPrecondition.
type notReadyError struct{ msg string }

func (e *notReadyError) Error() string { return e.msg }
func (e *notReadyError) Unwrap() error { return errdefs.ErrPrecondition }

// confFiles lists the configuration files of dir in lexical order; a
// missing dir has none.
func confFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cni config dir: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if slices.Contains(confExtensions, filepath.Ext(e.Name())) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(files)
	return files, nil
}

// confStamp fingerprints the configuration files (name, inode, size, mtime,
// following symlinks), so a poll can tell cheaply whether to reload.
func confStamp(dir string) (string, error) {
	files, err := confFiles(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			fmt.Fprintf(&b, "%s:%v\n", f, err)
			continue
		}
		fmt.Fprintf(&b, "%s:%v:%d:%d\n", f, inode(fi), fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), nil
}

// loadNetwork picks the network like the kubelet and CRI-O do: the first
// file in lexical order that parses, has plugins, and whose plugins are
// installed and speak its version; or, when want is set, the first such
// file of the network named want.
func loadNetwork(ctx context.Context, cni *libcni.CNIConfig, dir, want string) (*libcni.NetworkConfigList, error) {
	files, err := confFiles(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, &notReadyError{fmt.Sprintf("no network config found in %s", dir)}
	}
	var problems []string
	for _, f := range files {
		list, err := loadFile(ctx, cni, f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if want != "" && list.Name != want {
			continue
		}
		return list, nil
	}
	if want != "" && len(problems) == 0 {
		return nil, &notReadyError{fmt.Sprintf("network %q not found in %s", want, dir)}
	}
	if want != "" {
		return nil, &notReadyError{fmt.Sprintf("network %q not found in %s (%s)", want, dir, strings.Join(problems, "; "))}
	}
	return nil, &notReadyError{fmt.Sprintf("no valid network config found in %s: %s", dir, strings.Join(problems, "; "))}
}

func loadFile(ctx context.Context, cni *libcni.CNIConfig, file string) (*libcni.NetworkConfigList, error) {
	var list *libcni.NetworkConfigList
	if strings.HasSuffix(file, ".conflist") {
		l, err := libcni.NetworkConfFromFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		list = l
	} else {
		conf, err := libcni.ConfFromFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		// No type is what a conflist saved as .conf looks like.
		if conf.Network.Type == "" {
			return nil, fmt.Errorf("%s: no plugin type", file)
		}
		if list, err = libcni.ConfListFromConf(conf); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	if len(list.Plugins) == 0 {
		return nil, fmt.Errorf("%s: no plugins", file)
	}
	// Runs each plugin's VERSION command: a config whose plugin is not
	// installed is not a network the node can use.
	if _, err := cni.ValidateNetworkList(ctx, list); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return list, nil
}
