package jit

// SetArm64LSE selects LSE atomics (true) or exclusive loops (false) for
// programs compiled after the call, and returns a function restoring the
// previous choice.
func SetArm64LSE(on bool) (restore func()) {
	old := arm64LSE
	arm64LSE = on
	return func() { arm64LSE = old }
}
