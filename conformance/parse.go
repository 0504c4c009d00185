package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Case is one parsed .data file.
type Case struct {
	// Path is the file the case was read from ("" for Parse from a reader
	// without a name).
	Path string

	// Asm is the program in the conformance assembly dialect when HasAsm.
	Asm    string
	HasAsm bool
	// Raw is the program as 64-bit words, one per slot, when HasRaw. Each
	// word is the slot read as a little-endian integer.
	Raw    []uint64
	HasRaw bool

	// Mem is the input memory; nil when the file has none.
	Mem []byte

	// Result is the expected r0 when HasResult.
	Result    uint64
	HasResult bool

	// HasError says the program must fail to load or to run; Error is the
	// expected message (a regular expression when ErrorPattern).
	HasError     bool
	Error        string
	ErrorPattern bool

	// Budget is the instruction budget of the run from the iovm-specific
	// "-- budget" section; 0 means DefaultBudget.
	Budget uint64

	// CheckErrorText is set by the directive comment "# iovm: error-text":
	// the engine's error message must match Error (see RunCase). Files of
	// other suites lack it, so only the fact of failure is compared.
	CheckErrorText bool

	// Skip, when non-empty, is why no runner of iovm can run this case (a
	// section it does not know, such as "-- c" or "-- pyelf").
	Skip string
}

// DirectivePrefix starts a comment line holding an iovm directive. Other
// runners see an ordinary comment.
const DirectivePrefix = "# iovm:"

// ParseFile reads and parses the .data file at path. Section references
// ("-- mem @ packet.hex") are resolved relative to the file's directory.
func ParseFile(path string) (*Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Parse(f, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

type section struct {
	name string
	line int // line number of the header
	body []string
}

// maxFileRef bounds the size of a file named by "-- NAME @ file".
const maxFileRef = 64 << 20

// Parse parses a .data file from r. dir is the directory that section
// references ("@ file") are relative to; with dir "" references are an
// error.
func Parse(r io.Reader, dir string) (*Case, error) {
	var sections []*section
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	c := &Case{}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		if rest, ok := strings.CutPrefix(line, "--"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			name := strings.TrimSpace(rest)
			s := &section{name: name, line: n}
			if before, file, ok := strings.Cut(name, "@"); ok {
				s.name = strings.TrimSpace(before)
				file = strings.TrimSpace(file)
				body, err := readRef(dir, file)
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", n, err)
				}
				s.body = body
			}
			s.name = strings.Join(strings.Fields(s.name), " ")
			sections = append(sections, s)
			continue
		}
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if d, ok := strings.CutPrefix(trimmed, DirectivePrefix); ok {
				if err := c.directive(strings.TrimSpace(d)); err != nil {
					return nil, fmt.Errorf("line %d: %w", n, err)
				}
			}
			continue
		}
		if len(sections) == 0 {
			continue // text before the first section means nothing
		}
		sections[len(sections)-1].body = append(sections[len(sections)-1].body, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range sections {
		key := s.name
		if key == "error pattern" {
			key = "error"
		}
		if seen[key] && key != "no register offset" {
			return nil, fmt.Errorf("line %d: duplicate section %q", s.line, s.name)
		}
		seen[key] = true
		if err := c.section(s); err != nil {
			return nil, fmt.Errorf("line %d: -- %s: %w", s.line, s.name, err)
		}
	}
	if c.Skip != "" {
		return c, nil
	}
	switch {
	case !c.HasAsm && !c.HasRaw:
		return nil, fmt.Errorf("no program (-- asm or -- raw)")
	case c.HasAsm && c.HasRaw:
		return nil, fmt.Errorf("both -- asm and -- raw")
	case !c.HasResult && !c.HasError:
		return nil, fmt.Errorf("no expectation (-- result or -- error)")
	case c.HasResult && c.HasError:
		return nil, fmt.Errorf("both -- result and -- error")
	}
	return c, nil
}

func (c *Case) directive(d string) error {
	f := strings.Fields(d)
	if len(f) == 0 {
		return fmt.Errorf("empty iovm directive")
	}
	switch f[0] {
	case "error-text":
		c.CheckErrorText = true
	default:
		// A directive of a newer iovm: run the case without it would be
		// wrong, so skip it.
		if c.Skip == "" {
			c.Skip = fmt.Sprintf("unknown iovm directive %q", f[0])
		}
	}
	return nil
}

func readRef(dir, file string) ([]string, error) {
	if file == "" {
		return nil, fmt.Errorf("empty file reference")
	}
	if dir == "" {
		return nil, fmt.Errorf("file reference %q without a directory", file)
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, file)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileRef+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileRef {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxFileRef)
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
}

// stripComment removes a "#" comment from a line.
func stripComment(line string) string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

func (c *Case) section(s *section) error {
	switch s.name {
	case "asm":
		var b strings.Builder
		for _, l := range s.body {
			l = stripComment(l)
			if l == "" {
				continue
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		c.Asm, c.HasAsm = b.String(), true
	case "raw":
		c.HasRaw = true
		c.Raw = []uint64{}
		for _, l := range s.body {
			for _, f := range strings.Fields(stripComment(l)) {
				w, err := parseNumber(f)
				if err != nil {
					return err
				}
				c.Raw = append(c.Raw, w)
			}
		}
	case "mem":
		c.Mem = []byte{}
		for _, l := range s.body {
			for _, f := range strings.Fields(stripComment(l)) {
				f = strings.TrimPrefix(strings.TrimPrefix(f, "0x"), "0X")
				if len(f) != 2 {
					return fmt.Errorf("bad byte %q", f)
				}
				v, err := strconv.ParseUint(f, 16, 8)
				if err != nil {
					return fmt.Errorf("bad byte %q", f)
				}
				c.Mem = append(c.Mem, byte(v))
			}
		}
	case "result":
		v, err := singleNumber(s.body)
		if err != nil {
			return err
		}
		c.Result, c.HasResult = v, true
	case "budget":
		v, err := singleNumber(s.body)
		if err != nil {
			return err
		}
		if v == 0 {
			return fmt.Errorf("budget must be positive")
		}
		c.Budget = v
	case "error", "error pattern":
		var lines []string
		for _, l := range s.body {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		c.HasError, c.ErrorPattern = true, s.name == "error pattern"
		c.Error = strings.Join(lines, "\n")
	case "no register offset":
		// A marker some suites carry; its content means nothing to iovm.
	default:
		if c.Skip == "" {
			c.Skip = fmt.Sprintf("unknown section %q", s.name)
		}
	}
	return nil
}

func singleNumber(body []string) (uint64, error) {
	var fields []string
	for _, l := range body {
		fields = append(fields, strings.Fields(stripComment(l))...)
	}
	if len(fields) != 1 {
		return 0, fmt.Errorf("want one number, have %d fields", len(fields))
	}
	return parseNumber(fields[0])
}

// parseNumber parses hex with a 0x prefix or decimal, possibly negative
// (two's complement in 64 bits).
func parseNumber(s string) (uint64, error) {
	neg := false
	t := s
	if strings.HasPrefix(t, "-") {
		neg, t = true, t[1:]
	} else if strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	var v uint64
	var err error
	if h, ok := strings.CutPrefix(strings.ToLower(t), "0x"); ok {
		v, err = strconv.ParseUint(h, 16, 64)
	} else {
		v, err = strconv.ParseUint(t, 10, 64)
	}
	if err != nil || t == "" {
		return 0, fmt.Errorf("bad number %q", s)
	}
	if neg {
		v = -v
	}
	return v, nil
}
