// Package webhooks delivers Roster's event log to the product's HTTP endpoints as signed
// webhooks, and serves the admin API that manages them under /admin/api/v1/webhooks.
//
// The admin surface (package admin) routes that API with its own route table and admits every
// request exactly as its own — the admin credential, the body limit, and the one authorization
// decision on the webhook's organization — before it calls the route's method here
// (ListWebhooks, CreateWebhook, …) with the organization it decided. This package routes
// nothing and checks no credential and no role.
//
// The event log is the outbox: every change to a user or group is appended to it in the same
// store transaction as the change itself, so a change that committed has an event, and an
// event that exists describes a change that committed. Delivery reads the log; nothing is
// queued anywhere else, so nothing can be lost between the change and its delivery.
//
// # Invariants
//
//   - Each webhook has a durable cursor: the sequence number of the last event it has been
//     given (delivered with a 2xx, or skipped because it does not match the webhook's filter).
//     Events are delivered strictly in sequence order, one at a time: the next request is sent
//     only after the receiver answered 2xx to the previous one. The cursor is committed shortly
//     after (every CursorSyncInterval, when the worker catches up with the log, before a
//     failure is recorded and when stopping), so a crash redelivers the few events since the
//     last commit, in order and with the same webhook-ids: delivery is at least once, and
//     receivers deduplicate by webhook-id.
//   - Failed attempts never move the cursor. After MaxAttempts consecutive failures the
//     webhook is marked failing and retried at the slowest backoff; an administrator can resume
//     it at once or replay it from any sequence number.
//   - At most one worker delivers to a webhook at a time, across all replicas sharing a store:
//     it holds a lease (directory.WebhookLease: taken only while free, renewed by its holder
//     well before it expires, released on stop). Every cursor move is a compare-and-set in its
//     own transaction: it checks that no other worker holds the lease and that the cursor and
//     its generation (bumped by an administrator's resume or replay) are still those the
//     worker read, so a worker that lost its lease, or raced an administrator, moves nothing.
//   - The secret is shown once, in the answer to the POST that created the webhook, and never
//     again. Payloads never carry a password hash.
//
// All state is kept by directory.Service through operations made for it and able to touch
// nothing else (CreateWebhook, ResetWebhook, DeleteWebhook, the lease operations and
// AdvanceWebhookCursor); the package opens no store transaction of its own.
package webhooks
