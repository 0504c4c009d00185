# Plugin "admin" (LLVM pseudo-C dialect, as llvm-objdump prints it):
# deny anonymous requests (user 0) and requests for /admin... from users
# below tier 2, logging the path of the denied request.
	r6 = r1
	r1 = *(u32 *)(r6 + 0)          # request.user
	if r1 == 0 goto deny
	call 1000                      # r0 = user_tier(user)
	if r0 > 1 goto allow
	r1 = *(u32 *)(r6 + 8)          # request.path_len
	if r1 < 6 goto allow
	r1 = *(u32 *)(r6 + 16)         # first 4 bytes of request.path
	if r1 != 0x6d64612f goto allow # "/adm", little-endian
deny:
	r1 = r6
	r1 += 16                       # request.path
	r2 = *(u32 *)(r6 + 8)          # request.path_len
	call 1001                      # log_msg(path, len)
	r0 = 1
	exit
allow:
	r0 = 0
	exit
