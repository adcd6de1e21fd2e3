package directory

// DecodeUserFast and DecodeEventFast are the fast paths of DecodeUserJSON and
// DecodeEventJSON alone: false for a document they hand on whole.
func DecodeUserFast(raw []byte, u *User) bool {
	d := docDecoder{raw: raw}
	return d.user(u) && d.end()
}

func DecodeEventFast(raw []byte, e *Event) bool {
	d := docDecoder{raw: raw}
	return d.event(e) && d.end()
}
