package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/objects"
)

// Options open a store.
type Options struct {
	// Root holds the store (persistent); RunRoot its mounts (volatile).
	Root, RunRoot string
	// ReadOnly opens a store another node or process fills (an
	// additional store on a shared mount): nothing is written to it.
	ReadOnly bool
	// KeepLayerBlobs keeps compressed layer blobs after unpacking, so an
	// image can be copied out with its original layer digests.
	KeepLayerBlobs bool
	// AdditionalStores are roots of read-only stores whose images are
	// listed and used in place.
	AdditionalStores []string
	Log              *slog.Logger
}

// Store is one image store (plus its additional read-only stores).
type Store struct {
	root, runroot string
	readOnly      bool
	keepBlobs     bool
	db            *db
	objs          *objects.Store
	additional    []*Store
	log           *slog.Logger
}

// Open opens (creating if needed) the store at opts.Root.
func Open(opts Options) (*Store, error) {
	if opts.Root == "" || !filepath.IsAbs(opts.Root) {
		return nil, fmt.Errorf("store root %q must be an absolute path: %w", opts.Root, errdefs.ErrInvalidArgument)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{root: opts.Root, runroot: opts.RunRoot, readOnly: opts.ReadOnly, keepBlobs: opts.KeepLayerBlobs, log: log}
	s.db = &db{path: filepath.Join(s.root, "store.db"), readOnly: s.readOnly}
	if s.readOnly {
		if _, err := os.Stat(s.db.path); err != nil {
			return nil, fmt.Errorf("read-only store %s: %w", s.root, notFound(err))
		}
	} else if err := s.makeDirs(); err != nil {
		return nil, err
	}
	if err := s.db.init(); err != nil {
		return nil, err
	}
	objs, err := objects.Open(s.root)
	if err != nil {
		return nil, err
	}
	s.objs = objs
	if !s.readOnly {
		if err := s.afterBoot(); err != nil {
			return nil, err
		}
		s.cleanStaleTemp()
	}
	for _, root := range opts.AdditionalStores {
		add, err := Open(Options{Root: root, ReadOnly: true, Log: log})
		if err != nil {
			return nil, fmt.Errorf("additional store: %w", err)
		}
		s.additional = append(s.additional, add)
	}
	return s, nil
}

// makeDirs creates the layout. The root is 0700: objects keep their
// setuid bits and owners, so no host user may reach them by path.
func (s *Store) makeDirs() error {
	if err := os.MkdirAll(s.root, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(s.root, 0o700); err != nil {
		return err
	}
	for _, d := range []string{"blobs/sha256", "signatures", "layers", "checkouts", "containers", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.root, d), 0o700); err != nil {
			return err
		}
	}
	if s.runroot != "" {
		// Traversable, not listable: a container in a user namespace
		// reaches its own root through here (RUNROOT/containers/<id>,
		// 0700 and owned by that container's root); every other
		// container's directory stays closed to it and to host users.
		for _, d := range []string{s.runroot, filepath.Join(s.runroot, "containers")} {
			if err := os.MkdirAll(d, 0o711); err != nil {
				return err
			}
			if err := os.Chmod(d, 0o711); err != nil {
				return err
			}
		}
	}
	return nil
}

// Root is the store's directory.
func (s *Store) Root() string { return s.root }

// ReadOnly reports whether this store is an additional, read-only one.
func (s *Store) ReadOnly() bool { return s.readOnly }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.root}, elem...)...)
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
	}
	return err
}
