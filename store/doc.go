// Package store keeps images on disk content-addressed at the level of
// files (see ../shared/DESIGN.md, "The store"):
//
//	ROOT/                    mode 0700: objects keep setuid bits and owners
//	  store.db               metadata (bbolt): images, names, layers, containers
//	  gc.lock                shared by pulls, exclusive for gc
//	  blobs/sha256/<hex>     manifests and configs (layer blobs only if kept)
//	  signatures/<hex>/…     signatures of stored manifests (signature-N)
//	  objects/<xx>/<hex>     every regular file of every layer, once (store/objects)
//	  layers/<diffid hex>/   per layer: its entries and tar-split (store/layer)
//	  checkouts/<id hex>/    an image's merged tree of hardlinks into objects
//	  containers/<id>/       a container's overlay upper and work dirs
//	  tmp/                   pulls in progress (each locked by its process)
//
// Data is written first and published last: objects, layer metadata and
// checkouts are complete on disk (and flushed with one syncfs) before the
// database transaction that makes an image visible. A process killed at
// any instant leaves the old state plus unreferenced files that `gc`
// removes; `check` reports them as reclaimable, not as damage.
//
// The database is opened for each operation and closed again, so the CLI
// and a running daemon share one store: bbolt's file lock serialises them.
package store
