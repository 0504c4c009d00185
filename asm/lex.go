package asm

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is an assembly error at a position in the source text.
type Error struct {
	Line int    // 1-based line number
	Col  int    // 1-based column (in characters) where the problem starts
	Msg  string // what is wrong
}

// Error formats the error as "line L, col C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d, col %d: %s", e.Line, e.Col, e.Msg)
}

type tokKind uint8

const (
	tEOF   tokKind = iota
	tIdent         // identifiers, mnemonics, registers (%r1, r1, w1)
	tNum           // unsigned number: decimal, 0x hex, 0b binary, 0o octal
	tOp            // punctuation and operators
)

type token struct {
	kind tokKind
	text string
	col  int    // 1-based column
	num  uint64 // value of a tNum
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of line"
	}
	return fmt.Sprintf("%q", t.text)
}

// llvmOps are the operators of the LLVM dialect, longest first so the
// lexer takes the longest match.
var llvmOps = []string{
	"s>>=", ">>=", "<<=", "s<=", "s>=", "s/=", "s%=",
	"s<", "s>", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=",
	"=", "<", ">", "&", "+", "-", "*", "(", ")", "[", "]", ",", ":", "/", "%", "|", "^", "!",
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '.' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// stripComment removes a comment: '#', "//" or ';' to the end of the line.
func stripComment(line string) string {
	if i := strings.IndexAny(line, "#;"); i >= 0 {
		line = line[:i]
	}
	if i := strings.Index(line, "//"); i >= 0 {
		line = line[:i]
	}
	return line
}

// lex splits one line (comments already removed) into tokens. In the
// conformance dialect '%' followed by a letter starts a register name; in
// the LLVM dialect the operators of llvmOps are recognised.
func lex(line string, lineNo int, llvm bool) ([]token, error) {
	var toks []token
	ascii := true
	for i := 0; i < len(line); i++ {
		if line[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	col := func(i int) int {
		if ascii {
			return i + 1
		}
		return utf8.RuneCountInString(line[:i]) + 1
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && isIdentChar(line[j]) {
				j++
			}
			text := line[i:j]
			v, err := parseUint(text)
			if err != nil {
				return nil, &Error{Line: lineNo, Col: col(i), Msg: err.Error()}
			}
			toks = append(toks, token{kind: tNum, text: text, col: col(i), num: v})
			i = j
		case llvm && c == 's' && matchOp(line[i:]) != "":
			op := matchOp(line[i:])
			toks = append(toks, token{kind: tOp, text: op, col: col(i)})
			i += len(op)
		case isIdentStart(c) || !llvm && c == '%' && i+1 < len(line) && isIdentStart(line[i+1]):
			j := i + 1
			for j < len(line) && isIdentChar(line[j]) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: line[i:j], col: col(i)})
			i = j
		default:
			op := ""
			if llvm {
				op = matchOp(line[i:])
			} else if strings.IndexByte("[]+-,:()*", c) >= 0 {
				op = line[i : i+1]
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(line[i:])
				return nil, &Error{Line: lineNo, Col: col(i), Msg: fmt.Sprintf("unexpected character %q", r)}
			}
			toks = append(toks, token{kind: tOp, text: op, col: col(i)})
			i += len(op)
		}
	}
	return toks, nil
}

// matchOp returns the longest LLVM operator at the start of s, or "".
func matchOp(s string) string {
	for _, op := range llvmOps {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	return ""
}

// parseUint parses an unsigned number: decimal (leading zeros allowed and
// still decimal), 0x hex, 0b binary or 0o octal, in any letter case.
func parseUint(text string) (uint64, error) {
	s := strings.ToLower(text)
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"):
		base, s = 16, s[2:]
	case strings.HasPrefix(s, "0b"):
		base, s = 2, s[2:]
	case strings.HasPrefix(s, "0o"):
		base, s = 8, s[2:]
	}
	s = strings.ReplaceAll(s, "_", "")
	if s == "" {
		return 0, fmt.Errorf("invalid number %q", text)
	}
	v, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("number %s does not fit in 64 bits", text)
		}
		return 0, fmt.Errorf("invalid number %q", text)
	}
	return v, nil
}

// parser walks the tokens of one line.
type parser struct {
	toks []token
	pos  int
	line int
	end  int // column just past the end of the line, for errors at its end
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF, col: p.end}
}

func (p *parser) peekAt(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return token{kind: tEOF, col: p.end}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) *Error {
	return &Error{Line: p.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}
}

// isOp reports whether the next token is the operator op.
func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}

// accept consumes the operator op if it is next.
func (p *parser) accept(op string) bool {
	if p.isOp(op) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if t := p.peek(); !(t.kind == tOp && t.text == op) {
		return p.errAt(t, "expected %q, found %v", op, t)
	}
	p.pos++
	return nil
}

func (p *parser) expectIdent(word string) error {
	if t := p.peek(); !(t.kind == tIdent && strings.EqualFold(t.text, word)) {
		return p.errAt(t, "expected %q, found %v", word, t)
	}
	p.pos++
	return nil
}

func (p *parser) expectEnd() error {
	if t := p.peek(); t.kind != tEOF {
		return p.errAt(t, "unexpected %v after instruction", t)
	}
	return nil
}

// signed reads an optionally signed number. It returns the magnitude and
// whether a minus sign preceded it.
func (p *parser) signed() (mag uint64, neg bool, at token, err error) {
	at = p.peek()
	if p.accept("-") {
		neg = true
	} else {
		p.accept("+")
	}
	t := p.next()
	if t.kind != tNum {
		return 0, false, at, p.errAt(t, "expected a number, found %v", t)
	}
	return t.num, neg, at, nil
}

// imm32 reads an immediate that must fit the 32-bit imm field: a signed
// value in [-2^31, 2^31) or an unsigned one up to 2^32-1 (taken as its
// 32-bit pattern). It returns the value sign-extended to 64 bits.
func (p *parser) imm32() (int64, error) {
	mag, neg, at, err := p.signed()
	if err != nil {
		return 0, err
	}
	return fit32(p, at, mag, neg)
}

func fit32(p *parser, at token, mag uint64, neg bool) (int64, error) {
	if neg {
		if mag > 1<<31 {
			return 0, p.errAt(at, "immediate -%d does not fit in 32 bits", mag)
		}
		return -int64(mag), nil
	}
	if mag > 0xffffffff {
		return 0, p.errAt(at, "immediate %#x does not fit in 32 bits", mag)
	}
	return int64(int32(uint32(mag))), nil
}

// imm64 reads a 64-bit immediate: signed, or unsigned up to 2^64-1.
func (p *parser) imm64() (int64, error) {
	mag, neg, at, err := p.signed()
	if err != nil {
		return 0, err
	}
	if neg {
		if mag > 1<<63 {
			return 0, p.errAt(at, "immediate -%d does not fit in 64 bits", mag)
		}
		return -int64(mag), nil
	}
	return int64(mag), nil
}

// off16 reads a signed 16-bit offset. A leading sign is optional.
func (p *parser) off16() (int16, error) {
	mag, neg, at, err := p.signed()
	if err != nil {
		return 0, err
	}
	return fit16(p, at, mag, neg)
}

func fit16(p *parser, at token, mag uint64, neg bool) (int16, error) {
	if neg {
		if mag > 1<<15 {
			return 0, p.errAt(at, "offset -%d does not fit in 16 bits", mag)
		}
		return int16(-int64(mag)), nil
	}
	if mag > 1<<15-1 {
		return 0, p.errAt(at, "offset %d does not fit in 16 bits", mag)
	}
	return int16(mag), nil
}

// isReg reports whether the next token is shaped like a register.
func (p *parser) isReg() bool {
	t := p.peek()
	return t.kind == tIdent && looksLikeReg(t.text)
}

// target parses a jump or call target: a label or a signed offset. For a
// label it records the reference in s; otherwise it returns the offset.
func (p *parser) target(s *stmt, field targetField) (int64, error) {
	t := p.peek()
	if t.kind == tIdent && !looksLikeReg(t.text) {
		p.next()
		s.label, s.field = t, field
		return 0, nil
	}
	if field == targetOffset {
		o, err := p.off16()
		return int64(o), err
	}
	return p.imm32()
}

// regName parses a register name: "r0".."r10" (also "%r0", upper case) and,
// when w is true, "w0".."w10". It reports the register and whether the name
// was a w register.
func regName(text string, allowW bool) (reg uint8, isW, ok bool) {
	s := strings.ToLower(strings.TrimPrefix(text, "%"))
	if len(s) < 2 {
		return 0, false, false
	}
	switch s[0] {
	case 'r':
	case 'w':
		if !allowW {
			return 0, false, false
		}
		isW = true
	default:
		return 0, false, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 8)
	if err != nil || n > 10 || (len(s) > 2 && s[1] == '0') {
		return 0, false, false
	}
	return uint8(n), isW, true
}

// looksLikeReg reports whether an identifier is shaped like a register
// (r or w followed by digits), valid or not, so that "r11" gives a register
// error rather than "undefined label".
func looksLikeReg(text string) bool {
	s := strings.ToLower(strings.TrimPrefix(text, "%"))
	if len(s) < 2 || (s[0] != 'r' && s[0] != 'w') {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
