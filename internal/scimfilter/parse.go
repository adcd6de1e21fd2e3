package scimfilter

import (
	"fmt"
	"strconv"
	"strings"
)

// Expr is a parsed filter: one of *Logical, *Not, *Compare or *ValuePath.
type Expr interface {
	String() string
	isExpr()
}

// Op is a comparison operator, always lower case.
type Op string

// The comparison operators of RFC 7644 §3.4.2.2.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Co Op = "co"
	Sw Op = "sw"
	Ew Op = "ew"
	Pr Op = "pr"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

var compareOps = map[string]Op{"eq": Eq, "ne": Ne, "co": Co, "sw": Sw, "ew": Ew, "pr": Pr, "gt": Gt, "ge": Ge, "lt": Lt, "le": Le}

// AttrPath names an attribute: an optional schema URN, an attribute and an optional
// sub-attribute. Name and Sub keep the client's spelling; comparisons fold case.
type AttrPath struct {
	URN  string
	Name string
	Sub  string
}

func (p AttrPath) String() string {
	s := p.Name
	if p.Sub != "" {
		s += "." + p.Sub
	}
	if p.URN != "" {
		s = p.URN + ":" + s
	}
	return s
}

// Logical is "and" or "or" of two filters.
type Logical struct {
	And         bool
	Left, Right Expr
}

// Not negates a filter.
type Not struct{ X Expr }

// Compare is `path op value`, or `path pr` (Value is then nil). Value is a string, bool, float64
// or nil (the literal null).
type Compare struct {
	Path  AttrPath
	Op    Op
	Value any
}

// ValuePath is `attr[filter]`: true when some value of the multi-valued attr matches Filter,
// whose paths are relative to that value.
type ValuePath struct {
	Attr   AttrPath
	Filter Expr
}

func (*Logical) isExpr()   {}
func (*Not) isExpr()       {}
func (*Compare) isExpr()   {}
func (*ValuePath) isExpr() {}

func (e *Logical) String() string {
	word := "or"
	if e.And {
		word = "and"
	}
	return "(" + e.Left.String() + " " + word + " " + e.Right.String() + ")"
}
func (e *Not) String() string { return "not (" + e.X.String() + ")" }
func (e *Compare) String() string {
	if e.Op == Pr {
		return e.Path.String() + " pr"
	}
	var v string
	switch x := e.Value.(type) {
	case string:
		v = strconv.Quote(x)
	case nil:
		v = "null"
	default:
		v = fmt.Sprint(x)
	}
	return e.Path.String() + " " + string(e.Op) + " " + v
}
func (e *ValuePath) String() string { return e.Attr.String() + "[" + e.Filter.String() + "]" }

// Path is a PATCH operation's path: `attr`, `attr.sub`, `urn:…:attr`, `attr[filter]` or
// `attr[filter].sub`.
type Path struct {
	Attr AttrPath
	// Filter selects values of a multi-valued attribute; nil when the path has none.
	Filter Expr
	// ValueSub is the sub-attribute after a value filter, as in `emails[type eq "work"].value`.
	ValueSub string
}

func (p Path) String() string {
	s := p.Attr.String()
	if p.Filter != nil {
		s += "[" + p.Filter.String() + "]"
		if p.ValueSub != "" {
			s += "." + p.ValueSub
		}
	}
	return s
}

// SyntaxError reports where and why a filter or path did not parse.
type SyntaxError struct {
	Input string
	Pos   int
	Msg   string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid filter at position %d: %s", e.Pos+1, e.Msg)
}

// maxDepth bounds nesting so that a hostile filter cannot exhaust the stack.
const maxDepth = 64

// maxLen bounds the filter size; real IdP filters are far shorter.
const maxLen = 8192

// Parse parses a filter.
func Parse(s string) (Expr, error) {
	if len(s) > maxLen {
		return nil, &SyntaxError{Input: s, Msg: fmt.Sprintf("the filter is longer than %d bytes", maxLen)}
	}
	p := &parser{in: s}
	p.skipSpace()
	if p.eof() {
		return nil, p.fail("the filter is empty")
	}
	e, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.fail(fmt.Sprintf("unexpected %q after a complete filter", p.rest(12)))
	}
	return e, nil
}

// ParsePath parses a PATCH path.
func ParsePath(s string) (Path, error) {
	if len(s) > maxLen {
		return Path{}, &SyntaxError{Input: s, Msg: "the path is too long"}
	}
	p := &parser{in: strings.TrimSpace(s)}
	if p.eof() {
		return Path{}, p.fail("the path is empty")
	}
	attr, err := p.parseAttrPath()
	if err != nil {
		return Path{}, err
	}
	out := Path{Attr: attr}
	if p.peek() == '[' {
		if attr.Sub != "" {
			return Path{}, p.fail("a value filter must follow an attribute, not a sub-attribute")
		}
		p.pos++
		f, err := p.parseOr(1)
		if err != nil {
			return Path{}, err
		}
		p.skipSpace()
		if p.peek() != ']' {
			return Path{}, p.fail("expected ']' to close the value filter")
		}
		p.pos++
		out.Filter = f
		if p.peek() == '.' {
			p.pos++
			name := p.readName()
			if name == "" || !isAlpha(name[0]) {
				return Path{}, p.fail("expected a sub-attribute name after '.'")
			}
			out.ValueSub = name
		}
	}
	if !p.eof() {
		return Path{}, p.fail(fmt.Sprintf("unexpected %q in the path", p.rest(12)))
	}
	return out, nil
}

type parser struct {
	in  string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.in) }
func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.in[p.pos]
}
func (p *parser) rest(n int) string {
	r := p.in[p.pos:]
	if len(r) > n {
		r = r[:n] + "…"
	}
	return r
}
func (p *parser) fail(msg string) error { return &SyntaxError{Input: p.in, Pos: p.pos, Msg: msg} }

func (p *parser) skipSpace() {
	for !p.eof() && (p.in[p.pos] == ' ' || p.in[p.pos] == '\t' || p.in[p.pos] == '\n' || p.in[p.pos] == '\r') {
		p.pos++
	}
}

// keyword consumes word (case-insensitively) if it is next and is followed by a delimiter.
func (p *parser) keyword(word string) bool {
	p.skipSpace()
	end := p.pos + len(word)
	if end > len(p.in) || !strings.EqualFold(p.in[p.pos:end], word) {
		return false
	}
	if end < len(p.in) && isNameByte(p.in[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) parseOr(depth int) (Expr, error) {
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		left = &Logical{Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseAnd(depth int) (Expr, error) {
	left, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		left = &Logical{And: true, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) parseUnary(depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, p.fail("the filter is nested too deeply")
	}
	p.skipSpace()
	save := p.pos
	if p.keyword("not") {
		p.skipSpace()
		if p.peek() == '(' {
			x, err := p.parseParen(depth)
			if err != nil {
				return nil, err
			}
			return &Not{X: x}, nil
		}
		// "not" was an attribute name after all.
		p.pos = save
	}
	if p.peek() == '(' {
		return p.parseParen(depth)
	}
	return p.parseAttrExpr(depth)
}

func (p *parser) parseParen(depth int) (Expr, error) {
	p.pos++ // (
	x, err := p.parseOr(depth + 1)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.fail("expected ')'")
	}
	p.pos++
	return x, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$'
}

func (p *parser) readName() string {
	start := p.pos
	for !p.eof() && isNameByte(p.in[p.pos]) {
		p.pos++
	}
	return p.in[start:p.pos]
}

// parseAttrPath reads [URN ":"] name ["." sub]. A URN is recognised by its "urn:" prefix; its
// last colon separates it from the attribute.
func (p *parser) parseAttrPath() (AttrPath, error) {
	p.skipSpace()
	start := p.pos
	for !p.eof() && (isNameByte(p.in[p.pos]) || p.in[p.pos] == ':' || p.in[p.pos] == '.') {
		p.pos++
	}
	raw := p.in[start:p.pos]
	if raw == "" {
		return AttrPath{}, p.fail("expected an attribute name")
	}
	var ap AttrPath
	if len(raw) > 4 && strings.EqualFold(raw[:4], "urn:") {
		i := strings.LastIndexByte(raw, ':')
		ap.URN, raw = raw[:i], raw[i+1:]
		if raw == "" {
			return AttrPath{}, &SyntaxError{Input: p.in, Pos: start, Msg: "expected an attribute name after the schema URN"}
		}
	}
	name, sub, hasDot := strings.Cut(raw, ".")
	if name == "" || hasDot && (sub == "" || strings.Contains(sub, ".")) || strings.Contains(raw, ":") {
		return AttrPath{}, &SyntaxError{Input: p.in, Pos: start, Msg: fmt.Sprintf("%q is not an attribute path", p.in[start:p.pos])}
	}
	if !isAlpha(name[0]) {
		return AttrPath{}, &SyntaxError{Input: p.in, Pos: start, Msg: fmt.Sprintf("attribute name %q must start with a letter", name)}
	}
	ap.Name, ap.Sub = name, sub
	return ap, nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *parser) parseAttrExpr(depth int) (Expr, error) {
	attr, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	if p.peek() == '[' {
		if attr.Sub != "" {
			return nil, p.fail("a value filter must follow an attribute, not a sub-attribute")
		}
		p.pos++
		inner, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ']' {
			return nil, p.fail("expected ']' to close the value filter")
		}
		p.pos++
		vp := &ValuePath{Attr: attr, Filter: inner}
		if p.peek() != '.' {
			return vp, nil
		}
		// attr[filter].sub op value — Entra ID's form; it means attr[filter and sub op value].
		p.pos++
		sub := p.readName()
		if sub == "" || !isAlpha(sub[0]) {
			return nil, p.fail("expected a sub-attribute name after '.'")
		}
		cmp, err := p.parseComparison(AttrPath{Name: sub})
		if err != nil {
			return nil, err
		}
		vp.Filter = &Logical{And: true, Left: inner, Right: cmp}
		return vp, nil
	}
	return p.parseComparison(attr)
}

func (p *parser) parseComparison(attr AttrPath) (Expr, error) {
	p.skipSpace()
	opPos := p.pos
	word := p.readName()
	op, ok := compareOps[strings.ToLower(word)]
	if !ok {
		p.pos = opPos
		if word == "" {
			return nil, p.fail(fmt.Sprintf("expected an operator after %s", attr))
		}
		return nil, p.fail(fmt.Sprintf("%q is not an operator (eq ne co sw ew pr gt ge lt le)", word))
	}
	if op == Pr {
		return &Compare{Path: attr, Op: Pr}, nil
	}
	p.skipSpace()
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &Compare{Path: attr, Op: op, Value: v}, nil
}

func (p *parser) parseValue() (any, error) {
	if p.eof() {
		return nil, p.fail("expected a value")
	}
	if p.peek() == '"' {
		return p.parseString()
	}
	start := p.pos
	for !p.eof() && !strings.ContainsRune(" \t\r\n)]", rune(p.in[p.pos])) {
		p.pos++
	}
	lit := p.in[start:p.pos]
	switch strings.ToLower(lit) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if f, err := strconv.ParseFloat(lit, 64); err == nil && lit != "" && (lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9') {
		return f, nil
	}
	p.pos = start
	return nil, p.fail(fmt.Sprintf("expected a quoted string, number, true, false or null, not %q", lit))
}

// parseString reads a JSON string literal.
func (p *parser) parseString() (string, error) {
	start := p.pos
	p.pos++
	for !p.eof() {
		switch p.in[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			s, err := strconv.Unquote(p.in[start:p.pos])
			if err != nil {
				// JSON escapes that Go's syntax lacks, such as \/, are handled by hand.
				s, err = unquoteJSON(p.in[start+1 : p.pos-1])
				if err != nil {
					return "", &SyntaxError{Input: p.in, Pos: start, Msg: "invalid escape in string"}
				}
			}
			return s, nil
		}
		p.pos++
	}
	return "", &SyntaxError{Input: p.in, Pos: start, Msg: "unterminated string"}
}

func unquoteJSON(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", fmt.Errorf("dangling escape")
		}
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("short \\u escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
	}
	return b.String(), nil
}
