package demo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// outFile is a CSV file being written. It is written under a hidden
// temporary name and renamed when complete, so a folder watcher never sees
// half a file.
type outFile struct {
	name  string // base name
	kind  string
	path  string
	tmp   string
	f     *os.File
	w     *bufio.Writer
	rows  int64
	bytes int64
	dupOf string // a byte-identical copy of this file
	// repeats names the file whose lines this one exports again
	repeats string
	err     error
}

func createFile(dir, name, kind, header string) (*outFile, error) {
	o := &outFile{name: name, kind: kind, path: filepath.Join(dir, name), tmp: filepath.Join(dir, "."+name+".tmp")}
	f, err := os.Create(o.tmp)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	o.f = f
	o.w = bufio.NewWriterSize(f, 1<<20)
	o.writeString(header + "\n")
	return o, nil
}

func (o *outFile) write(p []byte, rows int64) {
	if o.err != nil || len(p) == 0 {
		return
	}
	n, err := o.w.Write(p)
	o.bytes += int64(n)
	o.rows += rows
	o.err = err
}

func (o *outFile) writeString(s string) {
	if o.err != nil {
		return
	}
	n, err := o.w.WriteString(s)
	o.bytes += int64(n)
	o.err = err
}

// line writes one record; fields are quoted only when they must be.
func (o *outFile) line(fields ...string) {
	for i, f := range fields {
		if i > 0 {
			o.writeString(",")
		}
		if strings.ContainsAny(f, ",\"\r\n") {
			f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
		o.writeString(f)
	}
	o.writeString("\n")
	o.rows++
}

// close flushes the file and gives it its final name.
func (o *outFile) close() error {
	if o.f == nil {
		return o.err
	}
	if o.err == nil {
		o.err = o.w.Flush()
	}
	if err := o.f.Close(); o.err == nil {
		o.err = err
	}
	o.f, o.w = nil, nil // the summary keeps the file; the buffer can go
	if o.err != nil {
		os.Remove(o.tmp)
		return fmt.Errorf("write %s: %w", o.name, o.err)
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		return fmt.Errorf("write %s: %w", o.name, err)
	}
	return nil
}

// abort drops an unfinished file.
func (o *outFile) abort() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
		os.Remove(o.tmp)
	}
}

// copyFile writes dst as a byte-identical copy of a finished file.
func copyFile(src *outFile, dir, name string) (*outFile, error) {
	in, err := os.Open(src.path)
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", src.name, err)
	}
	defer in.Close()
	o := &outFile{name: name, kind: src.kind, path: filepath.Join(dir, name), tmp: filepath.Join(dir, "."+name+".tmp"), dupOf: src.name}
	f, err := os.Create(o.tmp)
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", src.name, err)
	}
	o.f = f
	o.w = bufio.NewWriterSize(f, 1<<20)
	n, err := io.Copy(o.w, in)
	o.bytes, o.rows, o.err = n, src.rows, err
	return o, o.close()
}
