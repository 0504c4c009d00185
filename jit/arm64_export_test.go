package jit

import "golang.org/x/sys/cpu"

// SetArm64LSE selects LSE atomics (true) or exclusive loops (false) for
// programs compiled after the call, and returns a function restoring the
// previous choice.
func SetArm64LSE(on bool) (restore func()) {
	old := arm64LSE
	arm64LSE = on
	return func() { arm64LSE = old }
}

// SetArm64Far sets the program size above which arm64 code uses long
// branch forms (0: always), and returns a function restoring it.
func SetArm64Far(slots int) (restore func()) {
	old := arm64FarSlots
	arm64FarSlots = slots
	return func() { arm64FarSlots = old }
}

// Arm64CPULSE reports whether this CPU has LSE atomics.
func Arm64CPULSE() bool { return cpu.ARM64.HasATOMICS }
