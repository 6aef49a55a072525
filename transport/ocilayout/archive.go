package ocilayout

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/tarwrite"
)

// archiveDestination assembles a layout in a temporary directory and, on
// Commit, writes it as a tar beside the target and renames it over the
// target: the archive is complete or absent. Like skopeo, it replaces an
// existing archive rather than adding to it.
type archiveDestination struct {
	*destination
	archive *Reference
}

func newArchiveDestination(ref *Reference, opts *transport.Options) (*archiveDestination, error) {
	tmpRoot := ""
	if opts != nil {
		tmpRoot = opts.TempDir
	}
	dir, err := os.MkdirTemp(tmpRoot, "ocid-oci-archive-")
	if err != nil {
		return nil, err
	}
	layoutRef := &Reference{path: filepath.Join(dir, "layout"), name: ref.name}
	d, err := newDestination(layoutRef)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.scratch = true
	return &archiveDestination{destination: d, archive: ref}, nil
}

func (a *archiveDestination) Reference() transport.Reference { return a.archive }

func (a *archiveDestination) Commit(ctx context.Context) error {
	if err := a.destination.Commit(ctx); err != nil {
		return err
	}
	err := fsutil.WriteAtomic(a.archive.path, 0o644, func(w io.Writer) error { return tarwrite.Dir(w, a.ref.path) })
	if err != nil {
		return fmt.Errorf("%s: writing archive: %w", a.archive, err)
	}
	return nil
}

// Close removes the temporary layout in every case.
func (a *archiveDestination) Close() error {
	a.destination.Close()
	return os.RemoveAll(filepath.Dir(a.ref.path))
}
