//! W3C trace context (<https://www.w3.org/TR/trace-context/>): which trace a request belongs
//! to, carried on by every call and event it causes, whether or not spans are exported.
//!
//! A request that comes with a valid `traceparent` joins its caller's trace; any other starts
//! one. Either way the request is a span of its own, and every dependency call made while
//! serving it sends `traceparent` naming that span as the parent (and `tracestate` as it came),
//! so the services a request crosses are one trace.

use http::HeaderValue;
use std::fmt;

/// The header naming the trace and the parent span.
pub const TRACEPARENT: &str = "traceparent";
/// The header of vendor-specific trace data, passed on as it came.
pub const TRACESTATE: &str = "tracestate";

/// The longest `tracestate` passed on (the recommendation's limit of 512 characters): a longer
/// one is dropped, as the recommendation allows.
const MAX_TRACESTATE_LEN: usize = 512;

/// A trace id: 16 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub u128);

/// A span id: 8 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub u64);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
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
        let trace_id = hex(&traceparent[3..35])?;
        let span_id = hex(&traceparent[36..52])? as u64;
        let flags = hex(&traceparent[53..55])? as u8;
        if trace_id == 0 || span_id == 0 {
            return None;
        }
        let state = tracestate
            .filter(|s| s.len() <= MAX_TRACESTATE_LEN && s.to_str().is_ok())
            .cloned();
        Some(Parent {
            trace_id: TraceId(trace_id),
            span_id: SpanId(span_id),
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
/// by, and what to pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace.
    pub trace_id: TraceId,
    /// This span (a request served, an event handled).
    pub span_id: SpanId,
    /// The span that caused it, when a caller named one.
    pub parent_id: Option<SpanId>,
    /// The trace flags passed on (bit 0: sampled; a trace this service starts is sampled).
    pub flags: u8,
    /// The `tracestate` passed on.
    pub state: Option<HeaderValue>,
}

impl TraceContext {
    /// A span `span_id` in the trace of `parent` (its child), or in a new trace `trace_id`
    /// when there is no parent.
    pub fn new(parent: Option<Parent>, trace_id: u128, span_id: u64) -> TraceContext {
        let span_id = SpanId(span_id.max(1));
        match parent {
            Some(p) => TraceContext {
                trace_id: p.trace_id,
                span_id,
                parent_id: Some(p.span_id),
                flags: p.flags,
                state: p.state,
            },
            None => TraceContext {
                trace_id: TraceId(trace_id.max(1)),
                span_id,
                parent_id: None,
                flags: 1,
                state: None,
            },
        }
    }

    /// The `traceparent` naming `span` of this trace as the parent of what it causes: this
    /// span itself, or a span of it such as a client call.
    pub fn traceparent(&self, span: SpanId) -> HeaderValue {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 55];
        buf[..3].copy_from_slice(b"00-");
        for (i, b) in buf[3..35].iter_mut().enumerate() {
            *b = DIGITS[((self.trace_id.0 >> (124 - 4 * i)) & 0xf) as usize];
        }
        buf[35] = b'-';
        for (i, b) in buf[36..52].iter_mut().enumerate() {
            *b = DIGITS[((span.0 >> (60 - 4 * i)) & 0xf) as usize];
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
        let cx = TraceContext::new(parent, 7, 0x1234);
        assert_eq!(cx.parent_id, Some(SpanId(0x00f0_67aa_0ba9_02b7)));
        assert_eq!(
            cx.traceparent(cx.span_id),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000001234-01"
        );
        let root = TraceContext::new(None, u128::MAX, 0);
        assert_eq!(
            root.traceparent(root.span_id),
            "00-ffffffffffffffffffffffffffffffff-0000000000000001-01"
        );
        // What is sent reads back as the same trace and span.
        let sent = root.traceparent(SpanId(0xabc));
        let read = Parent::parse(sent.as_bytes(), None).unwrap();
        assert_eq!(
            (read.trace_id, read.span_id),
            (root.trace_id, SpanId(0xabc))
        );
    }
}
