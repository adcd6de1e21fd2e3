package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/rosterhq/roster/directory"
)

// Bulk (RFC 7644 §3.7). Every operation of a bulk request is answered exactly as the request
// it stands for would be: it takes the same path through route — normaliser, schema check,
// input policy and caps, Service operation, answer — against a view of the Service that runs
// on a shared write transaction (directory.Service.RunBatch), so that many operations cost one
// commit. A PATCH is the exception: it runs on its own, as a PATCH request does, applied to a
// copy before its short write transaction (runBulkSteps).
//
// Operations run in request order, except that one referring to a bulkId ("bulkId:qwerty" as
// a value or as a path segment) runs after the operation that creates it. An operation whose
// references cannot be ordered — a circular reference, or one that depends on such — is
// answered 409 (RFC 7644 §3.7.1); one naming a bulkId that no POST of the request defines is
// 400 invalidValue; one naming a bulkId whose POST failed is 409. The response lists, in
// request order, every operation that ran; after failOnErrors failures the rest do not run and
// are not listed.

const (
	bulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	bulkIDPrefix    = "bulkId:"
)

// bulkOp is one operation of a bulk request as read, before it runs.
type bulkOp struct {
	method, bulkID, version, path string
	data                          map[string]any
	// refs are the bulkIds the operation refers to, each once.
	refs []string
	// refused is the answer of an operation refused before it could run.
	refused *scimerrors.ScimError
}

// bulkResult is what one operation did. Steps set it afresh each time they run.
type bulkResult struct {
	ran      bool
	status   int
	id       string // of the resource a successful POST created
	location string
	version  string
	response json.RawMessage // the error body of a failed operation
}

// errOperationFailed tells RunBatch that an operation failed; its answer is in its result.
var errOperationFailed = errors.New("bulk operation failed")

// serveBulk answers POST /Bulk.
func (h *Handler) serveBulk(w http.ResponseWriter, r *http.Request, body []byte) {
	ops, failOnErrors, se := h.readBulk(body)
	if se != nil {
		writeError(w, *se)
		return
	}
	definer := bulkDefiners(ops)
	order := bulkOrder(ops, definer)
	results := make([]bulkResult, len(ops))
	steps := make([]directory.BatchStep, len(order))
	for n, i := range order {
		steps[n] = func(ctx context.Context, svc *directory.Service) error {
			results[i] = h.runBulkOp(ctx, svc, ops[i], func(bulkID string) (string, bool) {
				d, ok := definer[bulkID]
				return results[d].id, ok
			})
			if results[i].status >= 400 {
				return errOperationFailed
			}
			return nil
		}
	}
	alone := make([]bool, len(order))
	for n, i := range order {
		alone[n] = ops[i].method == http.MethodPatch && ops[i].refused == nil
	}
	h.runBulkSteps(r.Context(), steps, alone, failOnErrors)

	out := make([]map[string]any, 0, len(ops))
	for i, op := range ops {
		res := results[i]
		if !res.ran {
			continue
		}
		m := map[string]any{"method": op.method, "status": strconv.Itoa(res.status)}
		putStrings(m, "bulkId", op.bulkID, "location", res.location, "version", res.version)
		if res.response != nil {
			m["response"] = res.response
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{bulkResponseURN}, "Operations": out})
}

// runBulkSteps runs the steps in order, stopping after failOnErrors failures (0: never). The
// steps marked alone — the PATCHes — run on the Service itself, exactly as a PATCH request
// does (patchCopy): within the same caps, and applied inside a write transaction only when
// small, never doing more than the inside budget's work there. Inside a batch they would be
// applied while the batch holds the store's writer, whatever their cost, and a bulk request
// of costly PATCHes would stall every other write as one PATCH applied inside its transaction
// once did (issue 17, V3). The steps between them share transactions (RunBatch).
func (h *Handler) runBulkSteps(ctx context.Context, steps []directory.BatchStep, alone []bool, failOnErrors int) {
	failures := 0
	for i := 0; i < len(steps); {
		if (failOnErrors > 0 && failures >= failOnErrors) || ctx.Err() != nil {
			return
		}
		if alone[i] {
			if steps[i](ctx, h.svc) != nil {
				failures++
			}
			i++
			continue
		}
		end := i
		for end < len(steps) && !alone[end] {
			end++
		}
		maxErrors := 0
		if failOnErrors > 0 {
			maxErrors = failOnErrors - failures
		}
		errs := h.svc.RunBatch(ctx, steps[i:end], maxErrors)
		for _, err := range errs {
			if err != nil {
				failures++
			}
		}
		if len(errs) < end-i {
			return // RunBatch stopped: failOnErrors reached, or the request ended
		}
		i = end
	}
}

// runBulkOp runs one operation through route, on the Service given, and reads its answer.
func (h *Handler) runBulkOp(ctx context.Context, svc *directory.Service, op bulkOp, resolve func(string) (string, bool)) bulkResult {
	res := bulkResult{ran: true}
	fail := func(se scimerrors.ScimError) bulkResult {
		res.status = se.Status
		res.response, _ = json.Marshal(se)
		return res
	}
	if op.refused != nil {
		return fail(*op.refused)
	}
	ids := make(map[string]string, len(op.refs))
	for _, ref := range op.refs {
		id, known := resolve(ref)
		if !known {
			return fail(badRequest(scimerrors.ScimTypeInvalidValue, fmt.Sprintf("%s%s is not the bulkId of any POST in this request.", bulkIDPrefix, ref)))
		}
		if id == "" {
			return fail(scimerrors.ScimError{Status: http.StatusConflict,
				Detail: fmt.Sprintf("%s%s cannot be resolved: the operation that creates it failed.", bulkIDPrefix, ref)})
		}
		ids[ref] = id
	}
	path := substitutePath(op.path, ids)
	if op.method != http.MethodPost {
		res.location = h.scimBase() + path
	}
	var body []byte
	if op.data != nil {
		body, _ = json.Marshal(substituteValue(op.data, ids))
	}
	req, err := http.NewRequestWithContext(ctx, op.method, h.scimBase()+path, nil)
	if err != nil {
		return fail(badRequest(scimerrors.ScimTypeInvalidValue, "The operation's path is not a valid path."))
	}
	if op.version != "" {
		req.Header.Set("If-Match", op.version)
	}
	rec := &recorder{header: http.Header{}}
	New(svc, h.opts).route(rec, req, canonicalPath(path), body)
	res.status = rec.status
	res.version = rec.header.Get("ETag")
	if rec.status >= 400 {
		res.response = json.RawMessage(bytes.TrimSpace(rec.body.Bytes()))
		res.version = ""
		return res
	}
	if op.method == http.MethodPost {
		res.location = rec.header.Get("Location")
		res.id = res.location[strings.LastIndexByte(res.location, '/')+1:]
	}
	return res
}

// readBulk reads a bulk request: its operations, each checked on its own (a malformed one is
// answered in its place), and failOnErrors (0 when absent). Over maxOperations is 413.
func (h *Handler) readBulk(body []byte) ([]bulkOp, int, *scimerrors.ScimError) {
	invalid := func(scimType scimerrors.ScimType, format string, args ...any) *scimerrors.ScimError {
		se := badRequest(scimType, fmt.Sprintf(format, args...))
		return &se
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil || d.More() {
		return nil, 0, invalid(scimerrors.ScimTypeInvalidSyntax, "The bulk request is not a JSON object.")
	}
	if schemas, _ := obj[findKey(obj, "schemas")].([]any); len(schemas) > 0 && !slices.ContainsFunc(schemas, func(s any) bool {
		str, _ := s.(string)
		return strings.EqualFold(str, bulkRequestURN)
	}) {
		return nil, 0, invalid(scimerrors.ScimTypeInvalidSyntax, "The bulk request's schemas must name %s.", bulkRequestURN)
	}
	list, ok := obj[findKey(obj, "Operations")].([]any)
	if !ok {
		return nil, 0, invalid(scimerrors.ScimTypeInvalidSyntax, `A bulk request needs "Operations", an array of operations.`)
	}
	if len(list) > h.opts.MaxBulkOperations {
		return nil, 0, &scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf(
			"The bulk request has %d operations; maxOperations is %d.", len(list), h.opts.MaxBulkOperations)}
	}
	failOnErrors := 0
	if v, present := obj[findKey(obj, "failOnErrors")]; present && v != nil {
		n, isNum := v.(json.Number)
		i, err := strconv.Atoi(n.String())
		if !isNum || err != nil || i < 1 {
			return nil, 0, invalid(scimerrors.ScimTypeInvalidValue, "failOnErrors must be a positive integer, not %v.", v)
		}
		failOnErrors = i
	}
	ops := make([]bulkOp, len(list))
	seen := map[string]bool{}
	for i, raw := range list {
		ops[i] = readBulkOp(raw)
		op := &ops[i]
		if op.refused == nil && op.bulkID != "" {
			if seen[op.bulkID] {
				op.refused = invalid(scimerrors.ScimTypeInvalidValue, "bulkId %q is used by an earlier operation; each must be unique in the request.", op.bulkID)
			}
			seen[op.bulkID] = true
		}
	}
	return ops, failOnErrors, nil
}

// readBulkOp reads one operation and checks its form: method, path for that method, bulkId
// for a POST, data for all but DELETE.
func readBulkOp(raw any) bulkOp {
	var op bulkOp
	refuse := func(format string, args ...any) bulkOp {
		se := badRequest(scimerrors.ScimTypeInvalidSyntax, fmt.Sprintf(format, args...))
		op.refused = &se
		return op
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return refuse("Each bulk operation must be an object.")
	}
	str := func(name string) string { s, _ := m[findKey(m, name)].(string); return strings.TrimSpace(s) }
	op.method, op.bulkID, op.version, op.path = strings.ToUpper(str("method")), str("bulkId"), str("version"), str("path")
	op.data, _ = m[findKey(m, "data")].(map[string]any)
	if op.method == "" {
		op.method = "?"
		return refuse("The operation has no method; use POST, PUT, PATCH or DELETE.")
	}
	collection, id, hasID := strings.Cut(strings.TrimPrefix(canonicalPath(op.path), "/"), "/")
	if collection != "Users" && collection != "Groups" || strings.Contains(id, "/") || strings.HasPrefix(id, ".") {
		return refuse("The operation's path %q is not /Users or /Groups, or a user or group below them.", op.path)
	}
	switch op.method {
	case http.MethodPost:
		if hasID {
			return refuse("A POST's path is /Users or /Groups, not %q.", op.path)
		}
		if op.bulkID == "" {
			return refuse("A POST needs a bulkId.")
		}
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		if !hasID || id == "" {
			return refuse("A %s's path names one user or group, such as /Users/{id}; %q does not.", op.method, op.path)
		}
	default:
		return refuse("Method %q is not POST, PUT, PATCH or DELETE.", op.method)
	}
	if op.data == nil && op.method != http.MethodDelete {
		return refuse("A %s needs data, the resource or PATCH request as a JSON object.", op.method)
	}
	seen := map[string]bool{}
	addRef := func(s string) {
		if ref, ok := strings.CutPrefix(s, bulkIDPrefix); ok && !seen[ref] {
			seen[ref] = true
			op.refs = append(op.refs, ref)
		}
	}
	for _, seg := range strings.Split(op.path, "/") {
		addRef(seg)
	}
	walkStrings(op.data, addRef)
	return op
}

// bulkDefiners maps each bulkId to the POST that defines it (readBulk refuses a repeated one).
func bulkDefiners(ops []bulkOp) map[string]int {
	definer := map[string]int{}
	for i, op := range ops {
		if op.method == http.MethodPost && op.bulkID != "" && op.refused == nil {
			definer[op.bulkID] = i
		}
	}
	return definer
}

// bulkOrder is the order operations run in: request order, except that an operation waits
// for the POSTs whose bulkIds it refers to. Those that can never run — a circular reference,
// or a wait on one — are refused with 409 and come last.
func bulkOrder(ops []bulkOp, definer map[string]int) []int {
	placed := make([]bool, len(ops))
	order := make([]int, 0, len(ops))
	ready := func(i int) bool {
		if ops[i].refused != nil {
			return true
		}
		for _, ref := range ops[i].refs {
			if d, ok := definer[ref]; ok && !placed[d] {
				return false
			}
		}
		return true
	}
	for progress := true; progress; {
		progress = false
		for i := range ops {
			if !placed[i] && ready(i) {
				placed[i], progress = true, true
				order = append(order, i)
			}
		}
	}
	for i := range ops {
		if !placed[i] {
			ops[i].refused = &scimerrors.ScimError{Status: http.StatusConflict, Detail: fmt.Sprintf(
				"The operation's bulkId references (%s) are circular, or wait on an operation whose are; they cannot be resolved.",
				bulkIDPrefix+strings.Join(ops[i].refs, ", "+bulkIDPrefix))}
			order = append(order, i)
		}
	}
	return order
}

// walkStrings calls fn with every string in a value in generic form.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	}
}

// substituteValue is v with every "bulkId:<id>" string replaced by the id it stands for. It
// copies what it changes, so that an operation that runs again starts from its request.
func substituteValue(v any, ids map[string]string) any {
	switch x := v.(type) {
	case string:
		if ref, ok := strings.CutPrefix(x, bulkIDPrefix); ok {
			if id, ok := ids[ref]; ok {
				return id
			}
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substituteValue(e, ids)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substituteValue(e, ids)
		}
		return out
	}
	return v
}

// substitutePath is path with each "bulkId:<id>" segment replaced by the id it stands for.
func substitutePath(path string, ids map[string]string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i], _ = substituteValue(s, ids).(string)
	}
	return strings.Join(segs, "/")
}

// recorder keeps the answer route writes for one bulk operation.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
