package directory

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends translate their driver errors into these; no driver error crosses
// the Store seam.
var (
	// ErrNotFound: the resource does not exist, or is outside the caller's scope (R10).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness constraint would be broken (R7, R8).
	ErrConflict = errors.New("conflict")
	// ErrPrecondition: an If-Match version did not match the current one.
	ErrPrecondition = errors.New("precondition failed")
	// ErrInvalid: the input is malformed or breaks a domain constraint.
	ErrInvalid = errors.New("invalid")
	// ErrUnauthenticated: a credential is missing, unknown, expired or revoked.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUsed: a one-time key cannot be used: the key to take was used already, has expired or
	// was never issued, or the key to put is there already (a replay).
	ErrUsed = errors.New("one-time key already used")
	// ErrLeaseLost: another holder has the lease.
	ErrLeaseLost = errors.New("lease held by another holder")
)

// ConflictError says which uniqueness constraint a write would break.
type ConflictError struct {
	// Field is "userName", "identity", "externalId", "displayName", "domain" or "id".
	Field string
	Value string
	// Msg, when set, replaces the generic "is already taken" wording.
	Msg string
}

func (e *ConflictError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("%s %q is already taken", e.Field, e.Value)
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// InvalidError carries a message a client can act on.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string        { return e.Msg }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Invalidf returns an ErrInvalid with a formatted message.
func Invalidf(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// Refusal codes say, in a stable word, why a feed was refused. Pages and SCIM errors pick
// their wording from the code; the event log carries both code and rule.
const (
	RefuseNotProvisioned = "not_provisioned" // R3: unknown key in mode scim
	RefuseDeactivated    = "deactivated"     // R2, R3, R4, R6: the user is inactive
	RefuseTombstoned     = "tombstoned"      // R6: SCIM deleted this key
	RefuseUserNameTaken  = "username_taken"  // R8: userName belongs to another identity
	RefuseModeJIT        = "mode_jit"        // R2: SCIM token of an IdP in mode jit
	RefuseNoIdentity     = "no_identity"     // R1: no uniqueUserId could be found
	RefuseConflict       = "conflict"        // R7, R8: a SCIM create would break uniqueness
	RefuseUnknownIdP     = "unknown_idp"
	RefuseEmailDomain    = "email_domain" // R13: an email outside the organization's verified domains
	// RefuseOtherBrowser: a sign-in was finished in another browser than the one that started
	// it (login CSRF). No provisioning rule decides it, so its refusal names none.
	RefuseOtherBrowser = "other_browser"
	// RefuseInvalidInput: the IdP asserted a value the input policy refuses (input.go), so the
	// sign-in cannot be applied; no provisioning rule decides it either.
	RefuseInvalidInput = "invalid_input"
)

// Refusal is the error returned when a provisioning rule refuses an operation. It names the
// rule, and EventID is the id of the event that recorded it, which refusal pages show as the
// reference a person can quote to an administrator.
type Refusal struct {
	Rule    Rule
	Code    string
	Reason  string
	EventID string
}

func (r *Refusal) Error() string {
	if r.Rule == "" {
		return "refused: " + r.Reason
	}
	return fmt.Sprintf("refused by %s: %s", r.Rule, r.Reason)
}

// AsRefusal returns the Refusal inside err, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
