package store

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ocid-project/ocid/errdefs"
)

// Bucket names of the metadata database.
var (
	bucketImages     = []byte("images")     // image ID → Image (JSON)
	bucketNames      = []byte("names")      // name → image ID
	bucketDigests    = []byte("digests")    // manifest digest → image ID
	bucketLayers     = []byte("layers")     // diffID → layerRecord (JSON)
	bucketBlobLayers = []byte("bloblayers") // compressed layer digest → diffID
	bucketContainers = []byte("containers") // container ID → Container (JSON)
	bucketMeta       = []byte("meta")       // "version" → schema version
	allBuckets       = [][]byte{bucketImages, bucketNames, bucketDigests, bucketLayers, bucketBlobLayers, bucketContainers, bucketMeta}
)

// schemaVersion is bumped when a record's meaning changes.
const schemaVersion = "1"

// db opens the bbolt file for one operation at a time: bbolt holds an
// exclusive flock while open, so keeping it open would lock the CLI out
// of a store a daemon uses.
//
// Within one process the operations on a database are ordered by a
// read-write mutex before they reach the flock: bbolt waits for a busy
// flock by polling every 50 ms, so two goroutines of a daemon (a pull
// committing while ListImages reads) would otherwise stall each other for
// 50 ms. Views open the file read-only (a shared flock), so they run side
// by side, here and across processes.
type db struct {
	path     string
	readOnly bool
}

// dbLocks holds one mutex per database path (a process may open a store
// more than once).
var dbLocks sync.Map // path → *sync.RWMutex

func (d *db) lock() *sync.RWMutex {
	l, _ := dbLocks.LoadOrStore(d.path, &sync.RWMutex{})
	return l.(*sync.RWMutex)
}

func (d *db) open(readOnly bool) (*bolt.DB, error) {
	b, err := bolt.Open(d.path, 0o600, &bolt.Options{Timeout: 2 * time.Minute, ReadOnly: readOnly, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("opening store database %s: %w", d.path, err)
	}
	return b, nil
}

func (d *db) view(fn func(tx *bolt.Tx) error) error {
	l := d.lock()
	l.RLock()
	defer l.RUnlock()
	b, err := d.open(true)
	if err != nil {
		return err
	}
	defer b.Close()
	return b.View(fn)
}

func (d *db) update(fn func(tx *bolt.Tx) error) error {
	if d.readOnly {
		return fmt.Errorf("store %s is read-only: %w", d.path, errdefs.ErrPrecondition)
	}
	l := d.lock()
	l.Lock()
	defer l.Unlock()
	b, err := d.open(false)
	if err != nil {
		return err
	}
	defer b.Close()
	return b.Update(fn)
}

// init creates the buckets and checks the schema version.
func (d *db) init() error {
	if d.readOnly {
		return d.view(checkVersion)
	}
	// Made before: a read suffices (a write transaction costs two
	// flushes, on every ocid command).
	if _, err := os.Stat(d.path); err == nil && d.view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return errdefs.ErrNotFound
			}
		}
		return checkVersion(tx)
	}) == nil {
		return nil
	}
	return d.update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if m.Get([]byte("version")) == nil {
			return m.Put([]byte("version"), []byte(schemaVersion))
		}
		return checkVersion(tx)
	})
}

func checkVersion(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return fmt.Errorf("store database has no metadata bucket: %w", errdefs.ErrInvalidArgument)
	}
	if v := string(m.Get([]byte("version"))); v != schemaVersion {
		return fmt.Errorf("store database schema %q, this ocid knows %q: %w", v, schemaVersion, errdefs.ErrPrecondition)
	}
	return nil
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("store record %s/%s: %w", "bucket", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}
