package data

import (
	"bufio"
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
// then by name.
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
		return sorted[i] < sorted[j]
	})
	return sorted
}

// PeekKind guesses a file's kind from its first line (or first JSON
// object) and name, without importing it; "" when it cannot tell.
func PeekKind(path string) Kind {
	f, err := os.Open(path)
	if err != nil {
		return kindFromName(path)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(64 << 10)
	if checkText(head) != nil {
		return ""
	}
	if len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF {
		br.Discard(3)
		head, _ = br.Peek(64 << 10)
	}
	var rr recordReader
	switch sniffFormat(head, path) {
	case FormatJSON:
		rr, err = newJSONReader(br, false)
	case FormatNDJSON:
		rr, err = newJSONReader(br, true)
	default:
		rr, err = newCSVReader(br, sniffDelimiter(head), true)
	}
	if err != nil {
		return kindFromName(path)
	}
	b, err := detectKind(rr.header(), path, "")
	if err != nil {
		return kindFromName(path)
	}
	return b.spec.kind
}
