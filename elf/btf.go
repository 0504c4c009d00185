package elf

import (
	"encoding/binary"
	"fmt"
)

// BTF kinds used here (linux/btf.h).
const (
	btfInt      = 1
	btfPtr      = 2
	btfArray    = 3
	btfStruct   = 4
	btfUnion    = 5
	btfEnum     = 6
	btfFwd      = 7
	btfTypedef  = 8
	btfVolatile = 9
	btfConst    = 10
	btfRestrict = 11
	btfFunc     = 12
	btfFuncProt = 13
	btfVar      = 14
	btfDatasec  = 15
	btfFloat    = 16
	btfDeclTag  = 17
	btfTypeTag  = 18
	btfEnum64   = 19
)

// btfType is one decoded BTF type, as far as map definitions need.
type btfType struct {
	name    string
	kind    uint8
	sizeTyp uint32 // size or referenced type
	// array
	elem, nelems uint32
	// struct/union members, datasec entries: name, type, offset (bits for
	// members, bytes for datasec), size (datasec)
	members []btfMember
}

type btfMember struct {
	name   string
	typ    uint32
	offset uint32
	size   uint32
}

// btfSpec is the parsed type section of .BTF; types[0] is void.
type btfSpec struct {
	types []btfType
}

const maxBTFTypes = 1 << 20

// parseBTF parses the header, type and string sections of a .BTF section.
func parseBTF(b []byte, order binary.ByteOrder) (*btfSpec, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("BTF: header truncated")
	}
	if order.Uint16(b[0:2]) != 0xeb9f {
		return nil, fmt.Errorf("BTF: bad magic %#x (wrong byte order?)", order.Uint16(b[0:2]))
	}
	hdrLen := order.Uint32(b[4:8])
	typeOff, typeLen := order.Uint32(b[8:12]), order.Uint32(b[12:16])
	strOff, strLen := order.Uint32(b[16:20]), order.Uint32(b[20:24])
	slice := func(off, n uint32, what string) ([]byte, error) {
		start := uint64(hdrLen) + uint64(off)
		if hdrLen < 24 || start+uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("BTF: %s section out of bounds", what)
		}
		return b[start : start+uint64(n)], nil
	}
	tb, err := slice(typeOff, typeLen, "type")
	if err != nil {
		return nil, err
	}
	sb, err := slice(strOff, strLen, "string")
	if err != nil {
		return nil, err
	}
	str := func(off uint32) (string, error) {
		if off >= uint32(len(sb)) {
			if off == 0 {
				return "", nil
			}
			return "", fmt.Errorf("BTF: string offset %d out of bounds", off)
		}
		for i := off; i < uint32(len(sb)); i++ {
			if sb[i] == 0 {
				return string(sb[off:i]), nil
			}
		}
		return "", fmt.Errorf("BTF: unterminated string at %d", off)
	}
	s := &btfSpec{types: []btfType{{kind: 0}}}
	for p := 0; p < len(tb); {
		if len(s.types) > maxBTFTypes {
			return nil, fmt.Errorf("BTF: too many types")
		}
		if len(tb)-p < 12 {
			return nil, fmt.Errorf("BTF: type %d truncated", len(s.types))
		}
		nameOff, info, st := order.Uint32(tb[p:]), order.Uint32(tb[p+4:]), order.Uint32(tb[p+8:])
		p += 12
		t := btfType{kind: uint8(info >> 24 & 0x1f), sizeTyp: st}
		if t.name, err = str(nameOff); err != nil {
			return nil, err
		}
		vlen := int(info & 0xffff)
		need := func(n int) error {
			if n < 0 || len(tb)-p < n {
				return fmt.Errorf("BTF: type %d (kind %d) truncated", len(s.types), t.kind)
			}
			return nil
		}
		switch t.kind {
		case btfInt, btfVar, btfDeclTag:
			if err := need(4); err != nil {
				return nil, err
			}
			p += 4
		case btfArray:
			if err := need(12); err != nil {
				return nil, err
			}
			t.elem, t.nelems = order.Uint32(tb[p:]), order.Uint32(tb[p+8:])
			p += 12
		case btfStruct, btfUnion, btfDatasec:
			if err := need(12 * vlen); err != nil {
				return nil, err
			}
			t.members = make([]btfMember, vlen)
			for i := range t.members {
				e := tb[p+12*i:]
				if t.kind == btfDatasec {
					t.members[i] = btfMember{typ: order.Uint32(e), offset: order.Uint32(e[4:]), size: order.Uint32(e[8:])}
					continue
				}
				n, err := str(order.Uint32(e))
				if err != nil {
					return nil, err
				}
				t.members[i] = btfMember{name: n, typ: order.Uint32(e[4:]), offset: order.Uint32(e[8:])}
			}
			p += 12 * vlen
		case btfEnum, btfFuncProt:
			if err := need(8 * vlen); err != nil {
				return nil, err
			}
			p += 8 * vlen
		case btfEnum64:
			if err := need(12 * vlen); err != nil {
				return nil, err
			}
			p += 12 * vlen
		case btfPtr, btfFwd, btfTypedef, btfVolatile, btfConst, btfRestrict, btfFunc, btfFloat, btfTypeTag:
		default:
			return nil, fmt.Errorf("BTF: type %d has unknown kind %d", len(s.types), t.kind)
		}
		s.types = append(s.types, t)
	}
	return s, nil
}

func (s *btfSpec) typ(id uint32) (*btfType, error) {
	if id >= uint32(len(s.types)) {
		return nil, fmt.Errorf("BTF: type id %d out of range", id)
	}
	return &s.types[id], nil
}

// skipMods follows typedefs and qualifiers.
func (s *btfSpec) skipMods(id uint32) (*btfType, uint32, error) {
	for range 64 {
		t, err := s.typ(id)
		if err != nil {
			return nil, 0, err
		}
		switch t.kind {
		case btfTypedef, btfVolatile, btfConst, btfRestrict, btfTypeTag:
			id = t.sizeTyp
			continue
		}
		return t, id, nil
	}
	return nil, 0, fmt.Errorf("BTF: type chain too long at %d", id)
}

// size returns the size in bytes of type id.
func (s *btfSpec) size(id uint32) (uint32, error) {
	var mult uint64 = 1
	for range 64 {
		t, _, err := s.skipMods(id)
		if err != nil {
			return 0, err
		}
		switch t.kind {
		case btfInt, btfStruct, btfUnion, btfEnum, btfEnum64, btfFloat, btfDatasec:
			n := mult * uint64(t.sizeTyp)
			if n > 1<<31 {
				return 0, fmt.Errorf("BTF: type %d too large", id)
			}
			return uint32(n), nil
		case btfPtr:
			return uint32(mult * 8), nil
		case btfArray:
			mult *= uint64(t.nelems)
			if mult > 1<<31 {
				return 0, fmt.Errorf("BTF: type %d too large", id)
			}
			id = t.elem
			continue
		}
		return 0, fmt.Errorf("BTF: type %d (kind %d) has no size", id, t.kind)
	}
	return 0, fmt.Errorf("BTF: type chain too long at %d", id)
}

// btfMapDef is what a BTF map definition in .maps says.
type btfMapDef struct {
	name                                   string
	offset                                 uint32
	typ, keySize, valueSize, maxEntries, f uint32
}

// mapDefs returns the variables of the DATASEC named sec (".maps") decoded
// as libbpf map definitions: structs whose members are pointers, to arrays
// whose length is the value (__uint) or to the key/value type (__type).
func (s *btfSpec) mapDefs(sec string) ([]btfMapDef, error) {
	var ds *btfType
	for i := range s.types {
		if s.types[i].kind == btfDatasec && s.types[i].name == sec {
			ds = &s.types[i]
			break
		}
	}
	if ds == nil {
		return nil, fmt.Errorf("BTF: no DATASEC %q", sec)
	}
	var out []btfMapDef
	for _, v := range ds.members {
		vt, err := s.typ(v.typ)
		if err != nil {
			return nil, err
		}
		if vt.kind != btfVar {
			return nil, fmt.Errorf("BTF: %s entry %d is not a variable", sec, v.typ)
		}
		st, _, err := s.skipMods(vt.sizeTyp)
		if err != nil {
			return nil, err
		}
		if st.kind != btfStruct {
			return nil, fmt.Errorf("BTF: map %q is not a struct", vt.name)
		}
		d := btfMapDef{name: vt.name, offset: v.offset}
		for _, m := range st.members {
			pt, _, err := s.skipMods(m.typ)
			if err != nil {
				return nil, err
			}
			if pt.kind != btfPtr {
				if m.name == "values" && pt.kind == btfArray {
					continue // static initialization of prog arrays: not supported, ignored
				}
				return nil, fmt.Errorf("BTF: map %q: member %q is not a pointer", vt.name, m.name)
			}
			switch m.name {
			case "type", "max_entries", "map_flags", "key_size", "value_size":
				at, _, err := s.skipMods(pt.sizeTyp)
				if err != nil {
					return nil, err
				}
				if at.kind != btfArray {
					return nil, fmt.Errorf("BTF: map %q: member %q is not __uint", vt.name, m.name)
				}
				switch m.name {
				case "type":
					d.typ = at.nelems
				case "max_entries":
					d.maxEntries = at.nelems
				case "map_flags":
					d.f = at.nelems
				case "key_size":
					d.keySize = at.nelems
				case "value_size":
					d.valueSize = at.nelems
				}
			case "key", "value":
				n, err := s.size(pt.sizeTyp)
				if err != nil {
					return nil, fmt.Errorf("map %q %s: %w", vt.name, m.name, err)
				}
				if m.name == "key" {
					d.keySize = n
				} else {
					d.valueSize = n
				}
			default:
				// pinning, numa_node, map_extra...: not needed here.
			}
		}
		out = append(out, d)
	}
	return out, nil
}
