package directory

// DecodeUserFast is DecodeUserJSON's fast path alone: false for a document it hands on.
func DecodeUserFast(raw []byte, u *User) bool {
	d := userDecoder{raw: raw}
	return d.user(u) && d.end()
}
