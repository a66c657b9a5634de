//! W3C trace context (<https://www.w3.org/TR/trace-context/>): which trace a request belongs
//! to, carried on by every call and event it causes, whether or not spans are exported.
//!
//! A request that comes with a valid `traceparent` joins its caller's trace; any other starts
//! one. Either way the request is a span of its own, and every dependency call made while
//! serving it sends `traceparent` naming that span as the parent (and `tracestate` as it came),
//! so the services a request crosses are one trace.

use http::HeaderValue;
use std::fmt;
use std::num::{NonZeroU64, NonZeroU128};

/// The header naming the trace and the parent span.
pub const TRACEPARENT: &str = "traceparent";
/// The header of vendor-specific trace data, passed on as it came.
pub const TRACESTATE: &str = "tracestate";

/// The longest `tracestate` passed on (the recommendation's limit of 512 characters): a longer
/// one is dropped, as the recommendation allows.
const MAX_TRACESTATE_LEN: usize = 512;

/// A trace id: 16 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(NonZeroU128);

impl TraceId {
    /// The id of these bytes (big-endian), unless they are all zero.
    pub const fn new(id: u128) -> Option<TraceId> {
        match NonZeroU128::new(id) {
            Some(id) => Some(TraceId(id)),
            None => None,
        }
    }

    /// The id's bytes, big-endian.
    pub const fn get(self) -> u128 {
        self.0.get()
    }
}

/// A span id: 8 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(NonZeroU64);

impl SpanId {
    /// The id of these bytes (big-endian), unless they are all zero.
    pub const fn new(id: u64) -> Option<SpanId> {
        match NonZeroU64::new(id) {
            Some(id) => Some(SpanId(id)),
            None => None,
        }
    }

    /// The id's bytes, big-endian.
    pub const fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.get())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.get())
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// What a caller's `traceparent` (and `tracestate`) said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// The trace.
    pub trace_id: TraceId,
    /// The caller's span.
    pub span_id: SpanId,
    /// The trace flags (bit 0: sampled).
    pub flags: u8,
    /// The caller's `tracestate`, passed on as it came.
    pub state: Option<HeaderValue>,
}

impl Parent {
    /// Reads a `traceparent` header value; `None` when it is not one (the request then starts
    /// a trace of its own, as the recommendation says).
    pub fn parse(traceparent: &[u8], tracestate: Option<&HeaderValue>) -> Option<Parent> {
        // version "-" trace-id "-" parent-id "-" flags, in lowercase hex: 55 bytes for version
        // 00; a later version may add fields after a further "-".
        if traceparent.len() < 55 || traceparent[2] != b'-' || traceparent[35] != b'-' {
            return None;
        }
        if traceparent[52] != b'-' {
            return None;
        }
        let version = hex(&traceparent[..2])? as u8;
        let longer_ok = version != 0 && (traceparent.len() == 55 || traceparent[55] == b'-');
        if version == 0xff || (traceparent.len() != 55 && !longer_ok) {
            return None;
        }
        let trace_id = TraceId::new(hex(&traceparent[3..35])?)?;
        let span_id = SpanId::new(hex(&traceparent[36..52])? as u64)?;
        let flags = hex(&traceparent[53..55])? as u8;
        let state = tracestate
            .filter(|s| s.len() <= MAX_TRACESTATE_LEN && s.to_str().is_ok())
            .cloned();
        Some(Parent {
            trace_id,
            span_id,
            flags,
            state,
        })
    }
}

/// The value of lowercase hex digits (at most 32 of them).
fn hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | u128::from(v))
    })
}

/// The trace context of the work being done: its trace, its own span, the span it was caused
/// by, and what to pass on. Small, since every request carries one: the ids are non-zero
/// (so an absent parent costs nothing) and a `tracestate`, rare, is boxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: TraceId,
    span_id: SpanId,
    parent_id: Option<SpanId>,
    flags: u8,
    state: Option<Box<HeaderValue>>,
}

/// The sampled flag: a trace this service starts is sampled.
const SAMPLED: u8 = 1;

impl TraceContext {
    /// A new span, a child of `parent` or, without one, the root of a new trace, its ids made
    /// of the 128 random bits `random`: the trace id (of a new trace) is `random`, the span id
    /// its two halves folded into one.
    pub fn new(parent: Option<Parent>, random: u128) -> TraceContext {
        let fold = (random >> 64) as u64 ^ random as u64;
        let span_id = SpanId::new(fold).unwrap_or(SpanId(NonZeroU64::MIN));
        match parent {
            Some(p) => TraceContext {
                trace_id: p.trace_id,
                span_id,
                parent_id: Some(p.span_id),
                flags: p.flags,
                state: p.state.map(Box::new),
            },
            None => TraceContext {
                trace_id: TraceId::new(random).unwrap_or(TraceId(NonZeroU128::MIN)),
                span_id,
                parent_id: None,
                flags: SAMPLED,
                state: None,
            },
        }
    }

    /// The root span `span_id` of the new trace `trace_id` (work this process starts, such as
    /// a test's own request).
    pub fn root(trace_id: TraceId, span_id: SpanId) -> TraceContext {
        TraceContext {
            trace_id,
            span_id,
            parent_id: None,
            flags: SAMPLED,
            state: None,
        }
    }

    /// The span `span_id` of the trace `trace_id`, a child of `parent` (a caller's span), with
    /// its `tracestate`: the ids of a span made elsewhere (an exported one).
    #[cfg(feature = "server")]
    pub(crate) fn of_span(
        trace_id: TraceId,
        span_id: SpanId,
        flags: u8,
        parent: Option<Parent>,
    ) -> TraceContext {
        let (parent_id, state) = match parent {
            Some(p) => (Some(p.span_id), p.state.map(Box::new)),
            None => (None, None),
        };
        TraceContext {
            trace_id,
            span_id,
            parent_id,
            flags,
            state,
        }
    }

    /// The trace.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// This span (a request served, an event handled).
    pub fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The span that caused it, when a caller named one.
    pub fn parent_id(&self) -> Option<SpanId> {
        self.parent_id
    }

    /// The trace flags passed on (bit 0: sampled).
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// The caller's `tracestate`, passed on as it came.
    pub fn state(&self) -> Option<&HeaderValue> {
        self.state.as_deref()
    }

    /// The `traceparent` naming `span` of this trace as the parent of what it causes: this
    /// span itself, or a span of it such as a client call.
    pub fn traceparent(&self, span: SpanId) -> HeaderValue {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 55];
        buf[..3].copy_from_slice(b"00-");
        let (trace, span) = (self.trace_id.get(), span.get());
        for (i, b) in buf[3..35].iter_mut().enumerate() {
            *b = DIGITS[((trace >> (124 - 4 * i)) & 0xf) as usize];
        }
        buf[35] = b'-';
        for (i, b) in buf[36..52].iter_mut().enumerate() {
            *b = DIGITS[((span >> (60 - 4 * i)) & 0xf) as usize];
        }
        buf[52] = b'-';
        buf[53] = DIGITS[usize::from(self.flags >> 4)];
        buf[54] = DIGITS[usize::from(self.flags & 0xf)];
        // Visible ASCII by construction, so the fallback is never taken.
        HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(buf))
            .unwrap_or(HeaderValue::from_static("-"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_traceparent_is_read() {
        let state = HeaderValue::from_static("congo=t61rcWkgMzE");
        let p = Parent::parse(EXAMPLE.as_bytes(), Some(&state)).expect("valid");
        assert_eq!(p.trace_id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(p.span_id.to_string(), "00f067aa0ba902b7");
        assert_eq!(p.flags, 1);
        assert_eq!(p.state, Some(state));
        // A later version may carry more fields.
        let later = format!("cc{}-what-comes-next", &EXAMPLE[2..]);
        assert!(Parent::parse(later.as_bytes(), None).is_some());
    }

    #[test]
    fn anything_else_is_no_parent() {
        let zero_trace = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        let zero_span = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01";
        let upper = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
        let ff = "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let longer_00 = format!("{EXAMPLE}-x");
        let later_glued = format!("cc{}x", &EXAMPLE[2..]);
        for bad in [
            "",
            "00",
            &EXAMPLE[..54],
            zero_trace,
            zero_span,
            upper,
            ff,
            &longer_00,
            &later_glued,
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ] {
            assert_eq!(Parent::parse(bad.as_bytes(), None), None, "{bad:?}");
        }
        // A tracestate too long to pass on is dropped; the parent stays.
        let long = HeaderValue::from_str(&"a=b,".repeat(200)).unwrap();
        assert_eq!(
            Parent::parse(EXAMPLE.as_bytes(), Some(&long))
                .unwrap()
                .state,
            None
        );
    }

    #[test]
    fn the_traceparent_sent_names_the_trace_and_the_span() {
        let parent = Parent::parse(EXAMPLE.as_bytes(), None);
        let cx = TraceContext::new(parent, 0x1234);
        assert_eq!(cx.parent_id(), SpanId::new(0x00f0_67aa_0ba9_02b7));
        assert_eq!(
            cx.traceparent(cx.span_id()),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000001234-01"
        );
        // A new trace: the random bits are the trace id, their halves folded the span id.
        let root = TraceContext::new(None, u128::MAX);
        assert_eq!(
            root.traceparent(root.span_id()),
            "00-ffffffffffffffffffffffffffffffff-0000000000000001-01"
        );
        let root = TraceContext::new(None, 0x0123_4567_89ab_cdef_0000_0000_0000_0001);
        assert_eq!(root.span_id().get(), 0x0123_4567_89ab_cdee);
        assert_eq!(root.parent_id(), None);
        // What is sent reads back as the same trace and span.
        let span = SpanId::new(0xabc).unwrap();
        let sent = root.traceparent(span);
        let read = Parent::parse(sent.as_bytes(), None).unwrap();
        assert_eq!((read.trace_id, read.span_id), (root.trace_id(), span));
        // The context stays small: every request carries one.
        assert!(
            size_of::<Option<TraceContext>>() <= 48,
            "{}",
            size_of::<TraceContext>()
        );
    }
}
