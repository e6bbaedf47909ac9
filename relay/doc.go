// Package relay publishes a program's event log (commission.Engine.Events)
// to a NATS JetStream stream, in position order, so that other services
// learn of every change the engine makes. It is a package of its own so
// that the engine does not import a broker client.
//
// # Messages
//
// Run publishes each event on Config.Subject + "." + its type, such as
// "commission.events.transaction.created", so that a consumer takes only
// what it needs ("commission.events.reward.>"). The body is the event as
// encoding/json writes it:
//
//	{"position":42,"id":"...","event":"transaction.created","created_at":"...","data":{...}}
//
// and the headers repeat what a consumer may route on without decoding
// it: Commission-Position, Commission-Event-Type and Commission-Event-Id
// (HeaderPosition, HeaderEventType, HeaderEventID). The message id
// (jetstream.MsgIDHeader, Nats-Msg-Id) is the position in decimal.
//
// # Where it starts
//
// The relay keeps no state of its own: on start, and after every failure,
// it reads the last message the stream holds on Config.Subject + ".>"
// and resumes after the position in its header (from the start when
// there is none). It checks that the log has that event there, with the
// same id: a stream that relays another log, or a database restored from
// an older backup, stops Run with an error rather than skipping events or
// waiting for positions that never come.
//
// # Delivery
//
// Events are published one at a time, each after the previous one's ack,
// so the stream holds them in position order, at the cost of a round
// trip to the server per event. A failure that may pass (the server or
// the database unreachable, a timeout) is logged and retried with
// backoff, from the position read back from the stream. Publishing is at
// least once: a message the server stored but whose ack never came back
// (the relay killed, the connection lost) may still reach the stream
// after the relay read where to resume, and is then published again. The
// stream drops the repeat because it carries the same message id, within
// the stream's duplicate window (jetstream.StreamConfig.Duplicates, 2
// minutes by default). Every event is thus stored once, provided that
// window is longer than a restart of the relay, or a retry, takes.
// Consumers that must never see an event twice whatever happens keep the
// last position they handled.
//
// # The stream
//
// The application creates the stream, with the replicas, storage, limits
// and duplicate window it wants, and subjects that capture
// Config.Subject + ".>"; Run neither creates nor changes it. Because the
// relay resumes from the stream, the stream must keep its last event:
// Run refuses a stream with work-queue or interest retention, and the
// stream's MaxAge, if any, must be longer than the log ever stays quiet.
// A stream that lost events (a server that crashed before it wrote
// acknowledged ones to disk, a purge) gets them again when the relay next
// resumes. Give each program's log a stream of its own, since message ids
// are positions and the duplicate window spans the whole stream, and run
// one relay per log at a time.
package relay
