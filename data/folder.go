package data

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Ignored reports whether the watcher and folder imports skip a file: hidden
// files, editor and download temporaries, and the store's own files.
func Ignored(name string) bool {
	base := filepath.Base(name)
	lower := strings.ToLower(base)
	switch {
	case base == "" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "~") || strings.HasPrefix(base, "#"):
		return true
	case strings.HasSuffix(base, "~"):
		return true
	}
	for _, suf := range []string{".tmp", ".temp", ".part", ".partial", ".crdownload", ".swp", ".swx", ".lock",
		".db", ".db-wal", ".db-shm", ".db-journal", "-wal", "-shm", "-journal", ".sqlite", ".bak"} {
		if strings.HasSuffix(lower, suf) {
			return true
		}
	}
	return false
}

// ExpandPaths turns files and folders into the list of files to import, in
// the order that keeps references valid: within each folder, files sorted by
// kind (locations before items before sales…) and then by name. Folders are
// not descended into recursively.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or folder", p)
		}
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var files []string
		for _, e := range ents {
			if e.Type().IsRegular() && !Ignored(e.Name()) {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
		out = append(out, SortForImport(files)...)
	}
	return out, nil
}

// SortForImport orders files by the kind their header (or name) shows,
// then by name in the order people number files (see nameLess).
func SortForImport(files []string) []string {
	order := make(map[string]int, len(files))
	for _, f := range files {
		order[f] = KindOrder(PeekKind(f))
	}
	sorted := append([]string(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if order[sorted[i]] != order[sorted[j]] {
			return order[sorted[i]] < order[sorted[j]]
		}
		return nameLess(sorted[i], sorted[j])
	})
	return sorted
}

// nameLess orders file names as people number them: by the name without
// its extension first, so "sales-07.csv" (the original) comes before
// "sales-07-resend.csv" (byte order puts '-' before '.'), and runs of
// digits by value, so "day-9" comes before "day-10". Ties fall back to
// byte order, so the order is total.
func nameLess(a, b string) bool {
	sa, sb := strings.TrimSuffix(a, filepath.Ext(a)), strings.TrimSuffix(b, filepath.Ext(b))
	if c := naturalCompare(sa, sb); c != 0 {
		return c < 0
	}
	return a < b
}

func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return cmp.Compare(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// PeekKind guesses a file's kind from its first line (or first JSON
// object) and name, without importing it; "" when it cannot tell.
func PeekKind(path string) Kind {
	f, err := os.Open(path)
	if err != nil {
		return kindFromName(path)
	}
	defer f.Close()
	br, head := textReader(f, false)
	if !isWorkbook(head, path) && checkText(head) != nil {
		return ""
	}
	rr, done, err := newRecordReader(br, sniffFormat(head, path), head, true)
	if err != nil {
		return kindFromName(path)
	}
	defer done()
	b, err := detectKind(rr.header(), path, "")
	if err != nil {
		return kindFromName(path)
	}
	return b.spec.kind
}
