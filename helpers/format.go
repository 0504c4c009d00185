package helpers

import (
	"errors"
	"strconv"

	"github.com/iovm/iovm/vm"
)

var errFormat = errors.New("bad format")

// maxStr bounds the bytes a %s argument reads.
const maxStr = 4096

// format formats like the kernel's bpf_trace_printk and bpf_snprintf: the
// conversions %d %i %u %x %X %o %c %s %p (with px, pK, ps forms printed as
// hex) and %%, with flags "-+ 0#", a width, a precision, and the length
// modifiers h, hh, l, ll and z. Without l/ll a number is its low 32 bits.
// %s reads a NUL-terminated string from program memory.
func format(m *vm.Memory, f []byte, args []uint64) ([]byte, error) {
	var out []byte
	next := 0
	arg := func() (uint64, error) {
		if next >= len(args) {
			return 0, errFormat
		}
		next++
		return args[next-1], nil
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(f) {
			return nil, errFormat
		}
		if f[i] == '%' {
			out = append(out, '%')
			continue
		}
		var left, plus, space, zero, alt bool
	flags:
		for ; i < len(f); i++ {
			switch f[i] {
			case '-':
				left = true
			case '+':
				plus = true
			case ' ':
				space = true
			case '0':
				zero = true
			case '#':
				alt = true
			default:
				break flags
			}
		}
		width, prec := 0, -1
		for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
			width = width*10 + int(f[i]-'0')
			if width > 1000 {
				return nil, errFormat
			}
		}
		if i < len(f) && f[i] == '.' {
			prec = 0
			for i++; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
				prec = prec*10 + int(f[i]-'0')
				if prec > 1000 {
					return nil, errFormat
				}
			}
		}
		long := 0
		for ; i < len(f) && (f[i] == 'l' || f[i] == 'h' || f[i] == 'z'); i++ {
			switch f[i] {
			case 'l', 'z':
				long = 64
			case 'h':
				if long == 16 {
					long = 8
				} else {
					long = 16
				}
			}
		}
		if i >= len(f) {
			return nil, errFormat
		}
		v, err := arg()
		if err != nil {
			return nil, err
		}
		var s string
		neg := false
		conv := f[i]
		switch conv {
		case 'd', 'i':
			var x int64
			switch long {
			case 64:
				x = int64(v)
			case 16:
				x = int64(int16(v))
			case 8:
				x = int64(int8(v))
			default:
				x = int64(int32(v))
			}
			if x < 0 {
				neg = true
				s = strconv.FormatUint(uint64(-x), 10)
			} else {
				s = strconv.FormatUint(uint64(x), 10)
			}
		case 'u', 'x', 'X', 'o':
			switch long {
			case 64:
			case 16:
				v = uint64(uint16(v))
			case 8:
				v = uint64(uint8(v))
			default:
				v = uint64(uint32(v))
			}
			base := 10
			if conv == 'x' || conv == 'X' {
				base = 16
			} else if conv == 'o' {
				base = 8
			}
			s = strconv.FormatUint(v, base)
			if conv == 'X' {
				b := []byte(s)
				for k := range b {
					if b[k] >= 'a' && b[k] <= 'f' {
						b[k] -= 32
					}
				}
				s = string(b)
			}
			if alt && v != 0 && base == 16 {
				s = "0x" + s
			}
		case 'p':
			for i+1 < len(f) && (f[i+1] == 'x' || f[i+1] == 'K' || f[i+1] == 's') {
				i++
			}
			s = "0x" + strconv.FormatUint(v, 16)
		case 'c':
			s = string([]byte{byte(v)})
		case 's':
			b, err := m.CString(v, maxStr)
			if err != nil {
				return nil, err
			}
			if prec >= 0 && prec < len(b) {
				b = b[:prec]
			}
			s = string(b)
		default:
			return nil, errFormat
		}
		if conv != 's' && conv != 'c' && prec > len(s) {
			s = zeros(prec-len(s)) + s
		}
		sign := ""
		switch {
		case neg:
			sign = "-"
		case plus && (conv == 'd' || conv == 'i'):
			sign = "+"
		case space && (conv == 'd' || conv == 'i'):
			sign = " "
		}
		pad := width - len(s) - len(sign)
		switch {
		case pad <= 0:
			out = append(append(out, sign...), s...)
		case left:
			out = append(append(append(out, sign...), s...), spaces(pad)...)
		case zero && prec < 0 && conv != 's' && conv != 'c':
			out = append(append(append(out, sign...), zeros(pad)...), s...)
		default:
			out = append(append(append(out, spaces(pad)...), sign...), s...)
		}
	}
	return out, nil
}

func zeros(n int) string  { return rep('0', n) }
func spaces(n int) string { return rep(' ', n) }

func rep(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}
