package scim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/rosterhq/roster/directory"
)

// Answers carrying users and groups are written without reflection. encoding/json's was a
// fifth of a page of 100 users and most of a GET of a group of 2,000 members, whose every
// member is a reference of three strings. wireAppender writes the bytes json.Encoder wrote
// (TestWireMatchesEncodingJSON), so that no client sees a difference.

// wireAppender is an answer that appends its own JSON, as encoding/json would encode it.
type wireAppender interface {
	appendJSON(b []byte) []byte
}

// wireBuffers are the buffers answers are written into, used again as encoding/json uses its
// own: a buffer made for each answer was garbage as large as the answer, and a server under
// load collected it — GET /Users/{id} served 0.91 times the requests it served with
// encoding/json, and its peak memory rose by a third.
var wireBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxKeptBuffer is the largest buffer kept for another answer: the few answers larger than
// that (a group of tens of thousands of members) do not keep their memory.
const maxKeptBuffer = 1 << 20

// writeBody writes v as json.Encoder does: its JSON and a newline.
func writeBody(w http.ResponseWriter, v any) {
	a, ok := v.(wireAppender)
	if !ok {
		_ = json.NewEncoder(w).Encode(v)
		return
	}
	buf := wireBuffers.Get().(*[]byte)
	b := append(a.appendJSON((*buf)[:0]), '\n')
	_, _ = w.Write(b)
	if cap(b) <= maxKeptBuffer {
		*buf = b
		wireBuffers.Put(buf)
	}
}

// listJSON is a ListResponse (RFC 7644 §3.4.2), written as the map it was before:
// members in the order of their names.
type listJSON struct {
	total, startIndex int
	resources         []any
}

func (l listJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"Resources":[`...)
	for i, r := range l.resources {
		if i > 0 {
			b = append(b, ',')
		}
		if a, ok := r.(wireAppender); ok {
			b = a.appendJSON(b)
			continue
		}
		raw, err := json.Marshal(r) // a projection (attributes=…): a map
		if err != nil {
			raw = []byte("null")
		}
		b = append(b, raw...)
	}
	b = append(b, `],"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(len(l.resources)), 10)
	b = append(b, `,"schemas":["`+listResponseURN+`"],"startIndex":`...)
	b = strconv.AppendInt(b, int64(l.startIndex), 10)
	b = append(b, `,"totalResults":`...)
	b = strconv.AppendInt(b, int64(l.total), 10)
	return append(b, '}')
}

// key is directory.AppendJSONKey.
func key(b []byte, first int, k string) []byte { return directory.AppendJSONKey(b, first, k) }

func appendRefs(b []byte, refs []refJSON) []byte {
	if refs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, r := range refs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"value":`...)
		b = directory.AppendJSONString(b, r.Value)
		b = directory.AppendJSONField(b, 0, "$ref", r.Ref)
		b = directory.AppendJSONField(b, 0, "display", r.Display)
		b = directory.AppendJSONField(b, 0, "type", r.Type)
		b = append(b, '}')
	}
	return append(b, ']')
}

func (m *metaJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := len(b)
	b = directory.AppendJSONField(b, first, "resourceType", m.ResourceType)
	b = directory.AppendJSONField(b, first, "created", m.Created)
	b = directory.AppendJSONField(b, first, "lastModified", m.LastModified)
	b = directory.AppendJSONField(b, first, "location", m.Location)
	b = directory.AppendJSONField(b, first, "version", m.Version)
	return append(b, '}')
}

// appendHead appends the members a user and a group begin with.
func appendHead(b []byte, first int, schemas []string, id, externalID string) []byte {
	if len(schemas) > 0 {
		b = directory.AppendStringsJSON(key(b, first, "schemas"), schemas)
	}
	b = directory.AppendJSONField(b, first, "id", id)
	return directory.AppendJSONField(b, first, "externalId", externalID)
}

func (j userJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := len(b)
	b = appendHead(b, first, j.Schemas, j.ID, j.ExternalID)
	b = directory.AppendJSONString(key(b, first, "userName"), j.UserName)
	if j.Name != nil {
		b = j.Name.AppendJSON(key(b, first, "name"))
	}
	b = directory.AppendJSONField(b, first, "displayName", j.DisplayName)
	b = directory.AppendJSONField(b, first, "nickName", j.NickName)
	b = directory.AppendJSONField(b, first, "profileUrl", j.ProfileURL)
	b = directory.AppendJSONField(b, first, "title", j.Title)
	b = directory.AppendJSONField(b, first, "userType", j.UserType)
	b = directory.AppendJSONField(b, first, "preferredLanguage", j.PreferredLanguage)
	b = directory.AppendJSONField(b, first, "locale", j.Locale)
	b = directory.AppendJSONField(b, first, "timezone", j.Timezone)
	if j.Active != nil {
		b = strconv.AppendBool(key(b, first, "active"), *j.Active)
	}
	b = directory.AppendJSONField(b, first, "password", j.Password)
	values := func(name string, vs []directory.MultiValue) {
		if len(vs) > 0 {
			b = directory.AppendMultiValuesJSON(key(b, first, name), vs)
		}
	}
	values("emails", j.Emails)
	values("phoneNumbers", j.PhoneNumbers)
	if len(j.Addresses) > 0 {
		b = directory.AppendAddressesJSON(key(b, first, "addresses"), j.Addresses)
	}
	values("roles", j.Roles)
	values("entitlements", j.Entitlements)
	if len(j.Groups) > 0 {
		b = appendRefs(key(b, first, "groups"), j.Groups)
	}
	if e := j.Enterprise; e != nil {
		b = append(key(b, first, enterpriseSchemaURN), '{')
		inner := len(b)
		b = directory.AppendJSONField(b, inner, "employeeNumber", e.EmployeeNumber)
		b = directory.AppendJSONField(b, inner, "costCenter", e.CostCenter)
		b = directory.AppendJSONField(b, inner, "organization", e.Organization)
		b = directory.AppendJSONField(b, inner, "division", e.Division)
		b = directory.AppendJSONField(b, inner, "department", e.Department)
		if m := e.Manager; m != nil {
			b = append(key(b, inner, "manager"), '{')
			in := len(b)
			b = directory.AppendJSONField(b, in, "value", m.Value)
			b = directory.AppendJSONField(b, in, "$ref", m.Ref)
			b = directory.AppendJSONField(b, in, "displayName", m.DisplayName)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if j.Meta != nil {
		b = j.Meta.appendJSON(key(b, first, "meta"))
	}
	return append(b, '}')
}

func (j groupJSON) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := len(b)
	b = appendHead(b, first, j.Schemas, j.ID, j.ExternalID)
	b = directory.AppendJSONString(key(b, first, "displayName"), j.DisplayName)
	b = appendRefs(key(b, first, "members"), j.Members)
	if j.Meta != nil {
		b = j.Meta.appendJSON(key(b, first, "meta"))
	}
	return append(b, '}')
}
