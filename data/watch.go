package data

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher reports files dropped into folders once they are complete. It
// listens to fsnotify and rescans every folder now and then for events it
// missed (network filesystems deliver none; a full kernel queue drops them),
// waits until a file has stopped changing, ignores hidden and temporary
// files, and keeps watching a folder that is deleted and created again.
type Watcher struct {
	Dirs []string
	// Quiet is how long a file must stay the same size and age before it
	// counts as written. Writers that rename a finished file into place are
	// never caught half-way; this guards the ones that write in place.
	Quiet time.Duration
	// Rescan is how often every folder is listed again; 0 turns it off.
	Rescan time.Duration
	// Grace is how long a file that does not end like a finished file
	// (a CSV without its last newline, a JSON array without its ]) is given
	// to grow before it is taken as it is.
	Grace time.Duration
	// Ready receives the files that are ready, a batch at a time, in import
	// order. It runs on the watcher's goroutine.
	Ready func(ctx context.Context, paths []string)
	// Logf reports problems (a folder that vanished, a watch that failed).
	Logf func(format string, args ...any)

	mu   sync.Mutex
	seen map[string]fileSig // files handed to Ready, as they were then
}

type fileSig struct {
	size  int64
	mtime time.Time
}

type pending struct {
	sig   fileSig
	since time.Time // when sig was first seen
}

// NewWatcher returns a watcher with the default timings.
func NewWatcher(dirs []string, ready func(ctx context.Context, paths []string)) *Watcher {
	return &Watcher{Dirs: dirs, Quiet: 250 * time.Millisecond, Rescan: 2 * time.Second, Grace: 5 * time.Second, Ready: ready,
		Logf: func(string, ...any) {}}
}

// Run watches until ctx ends. Files already in the folders are reported
// too: importing them again is a no-op when they were imported before.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewBufferedWatcher(1024)
	if err != nil {
		return err
	}
	defer fw.Close()
	w.mu.Lock()
	w.seen = map[string]fileSig{}
	w.mu.Unlock()

	dirs := map[string]bool{} // folder → watched now
	for _, d := range w.Dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return err
		}
		dirs[abs] = false
	}
	waiting := map[string]*pending{}
	addDirs := func() {
		for d, ok := range dirs {
			if ok {
				continue
			}
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				continue
			}
			if err := fw.Add(d); err != nil {
				w.Logf("watch %s: %v", d, err)
				continue
			}
			dirs[d] = true
			w.scanDir(d, waiting)
		}
	}
	addDirs()

	// Waiting files are checked often (a stat each), so a file is taken
	// soon after its quiet period ends.
	tick := time.NewTicker(max(w.Quiet/5, 10*time.Millisecond))
	defer tick.Stop()
	var rescan <-chan time.Time
	if w.Rescan > 0 {
		t := time.NewTicker(w.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return nil
			}
			if _, isDir := dirs[ev.Name]; isDir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				w.Logf("watch %s: folder removed; watching for it to come back", ev.Name)
				fw.Remove(ev.Name)
				dirs[ev.Name] = false
				continue
			}
			if _, watched := dirs[filepath.Dir(ev.Name)]; !watched || Ignored(ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Remove | fsnotify.Rename) {
				delete(waiting, ev.Name)
				w.forget(ev.Name)
				continue
			}
			w.observe(ev.Name, waiting)
		case err, ok := <-fw.Errors:
			if !ok {
				return nil
			}
			// A full event queue loses events; the rescan finds the files.
			w.Logf("watch: %v", err)
		case <-rescan:
			for d, ok := range dirs {
				if ok {
					if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
						fw.Remove(d)
						dirs[d] = false
						continue
					}
					w.scanDir(d, waiting)
				}
			}
			addDirs()
		case <-tick.C:
			if ready := w.ready(waiting); len(ready) > 0 {
				w.Ready(ctx, SortForImport(ready))
			}
		}
	}
}

func (w *Watcher) scanDir(dir string, waiting map[string]*pending) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type().IsRegular() && !Ignored(e.Name()) {
			w.observe(filepath.Join(dir, e.Name()), waiting)
		}
	}
}

// observe notes a file's current size and time; a change restarts its
// quiet period.
func (w *Watcher) observe(path string, waiting map[string]*pending) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		delete(waiting, path)
		return
	}
	sig := fileSig{st.Size(), st.ModTime()}
	w.mu.Lock()
	done, ok := w.seen[path]
	w.mu.Unlock()
	if ok && done == sig {
		return // handed over already, unchanged since
	}
	if p := waiting[path]; p != nil && p.sig == sig {
		return
	}
	waiting[path] = &pending{sig: sig, since: time.Now()}
}

// ready returns the files that have been quiet long enough and look
// finished, and forgets them.
func (w *Watcher) ready(waiting map[string]*pending) []string {
	var out []string
	now := time.Now()
	for path, p := range waiting {
		if now.Sub(p.since) < w.Quiet {
			continue
		}
		st, err := os.Stat(path)
		if err != nil {
			delete(waiting, path)
			continue
		}
		if sig := (fileSig{st.Size(), st.ModTime()}); sig != p.sig {
			waiting[path] = &pending{sig: sig, since: now}
			continue
		}
		if p.sig.size == 0 || (!looksFinished(path) && now.Sub(p.since) < w.Grace) {
			continue
		}
		delete(waiting, path)
		w.mu.Lock()
		w.seen[path] = p.sig
		w.mu.Unlock()
		out = append(out, path)
	}
	return out
}

func (w *Watcher) forget(path string) {
	w.mu.Lock()
	delete(w.seen, path)
	w.mu.Unlock()
}

// looksFinished reads a file's last bytes: text exports end with a
// newline, a JSON array with ], a workbook with a zip's end record.
func looksFinished(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false
	}
	n := min(st.Size(), 64)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, st.Size()-n); err != nil && err != io.EOF {
		return false
	}
	t := bytes.TrimRight(buf, " \t\r\n")
	if len(t) > 0 && t[len(t)-1] == ']' {
		return true
	}
	// A workbook (a zip) ends with its central directory's end record:
	// 22 bytes from "PK\x05\x06", longer only with a comment.
	if i := bytes.LastIndex(buf, []byte("PK\x05\x06")); i >= 0 && len(buf)-i >= 22 {
		return true
	}
	return len(buf) > 0 && buf[len(buf)-1] == '\n'
}
