package directory

import "context"

// CheckSCIMAccessRecorded is CheckSCIMAccess for the SCIM edge: a refusal (R2) is also recorded
// as an event naming the token and the rule, as the refusals of SCIM user writes are, so that
// every refusal is explained (R12). subject is what the request addressed (a resource id or an
// endpoint). It is the SCIM edge's check for reads, group writes and user deletes, which the
// Service methods either do not check or do not record.
func (s *Service) CheckSCIMAccessRecorded(ctx context.Context, a SCIMActor, subject string) error {
	return s.recordRefusal(ctx, a, subject, s.CheckSCIMAccess(ctx, a))
}
