//! Sans-IO STUN Binding server core (RFC 8489 §6.3, §12).

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::{Attribute, AttributeType, Class, Error, ErrorCode, Message, MessageBuilder, Method};

/// Most unknown attribute types listed in one 420 response.
const MAX_UNKNOWN_LISTED: usize = 16;
/// Large enough for any response this server writes: header, XOR-MAPPED-ADDRESS (IPv6),
/// SOFTWARE (at most 763 bytes), UNKNOWN-ATTRIBUTES and FINGERPRINT.
const RESPONSE_CAPACITY: usize = 1024;

/// What the server says about itself and how it answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConfig {
    /// Sent as SOFTWARE in every response when set (RFC 8489 §14.14).
    pub software: Option<String>,
    /// Add FINGERPRINT to every response; otherwise only when the request had one.
    pub always_fingerprint: bool,
}

/// What the server did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// A Binding request: a success response is queued.
    Answered,
    /// A request the server cannot serve: an error response (400 or 420) is queued.
    Rejected(u16),
    /// An indication or a response: nothing to answer (RFC 8489 §6.3.2, §6.3.3).
    Ignored,
}

/// A response queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTransmit<'a> {
    /// Where the request came from, and so where the response goes.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: &'a [u8],
}

/// The Binding server: answers Binding requests with the source address they came from, as
/// XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS for classic RFC 3489 clients (RFC 8489 §12).
///
/// The usual sans-IO shape: [`BindingServer::handle_input`] for each received datagram, then
/// drain [`BindingServer::poll_transmit`]. The server keeps no per-client state; response buffers
/// are reused, so a running server does not allocate per request.
#[derive(Debug, Default)]
pub struct BindingServer {
    config: ServerConfig,
    queue: VecDeque<(SocketAddr, Vec<u8>)>,
    /// The response last handed out by `poll_transmit`, kept until the next call.
    current: Option<Vec<u8>>,
    spare: Vec<Vec<u8>>,
}

impl BindingServer {
    /// A server with the given configuration.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Handles a datagram from `from`. A datagram that is not a valid STUN message is dropped
    /// with the parse error; nothing is queued for it.
    pub fn handle_input(&mut self, from: SocketAddr, datagram: &[u8]) -> Result<Handled, Error> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer.resize(RESPONSE_CAPACITY, 0);
        match self.respond(from, datagram, &mut buffer) {
            Ok((handled, len)) => {
                if len > 0 {
                    buffer.truncate(len);
                    self.queue.push_back((from, buffer));
                } else {
                    self.spare.push(buffer);
                }
                Ok(handled)
            }
            Err(e) => {
                self.spare.push(buffer);
                Err(e)
            }
        }
    }

    /// The next response to send.
    pub fn poll_transmit(&mut self) -> Option<ServerTransmit<'_>> {
        if let Some(done) = self.current.take() {
            self.spare.push(done);
        }
        let (destination, bytes) = self.queue.pop_front()?;
        let contents = self.current.insert(bytes);
        Some(ServerTransmit {
            destination,
            contents,
        })
    }

    /// Writes the answer to `datagram` into `out` without queuing it; returns what was done and
    /// the response's length (0 when there is nothing to send). `out` should hold 1024 bytes.
    pub fn respond(
        &self,
        from: SocketAddr,
        datagram: &[u8],
        out: &mut [u8],
    ) -> Result<(Handled, usize), Error> {
        let request = Message::parse_allow_rfc3489(datagram)?;
        if request.class() != Class::Request {
            return Ok((Handled::Ignored, 0));
        }
        let classic = request.is_rfc3489();
        // RFC 8489 §6.3.1: unknown comprehension-required attributes get 420 with
        // UNKNOWN-ATTRIBUTES; a method other than Binding gets 400.
        let mut unknown = [AttributeType(0); MAX_UNKNOWN_LISTED];
        let mut count = 0;
        for t in request.unknown_comprehension_required() {
            if count < MAX_UNKNOWN_LISTED && !unknown[..count].contains(&t) {
                unknown[count] = t;
                count += 1;
            }
        }
        let handled = if count > 0 {
            Handled::Rejected(420)
        } else if request.method() != Method::BINDING {
            Handled::Rejected(400)
        } else {
            Handled::Answered
        };
        let class = match handled {
            Handled::Answered => Class::Success,
            _ => Class::Error,
        };
        let mut b = MessageBuilder::with_cookie(
            out,
            class,
            request.method(),
            request.cookie(),
            request.transaction_id(),
        )?;
        match handled {
            Handled::Rejected(420) => {
                b.add(&Attribute::ErrorCode(ErrorCode::UNKNOWN_ATTRIBUTE))?;
                b.add_unknown_attributes(&unknown[..count])?;
            }
            Handled::Rejected(_) => {
                b.add(&Attribute::ErrorCode(ErrorCode::BAD_REQUEST))?;
            }
            _ if classic => {
                b.add(&Attribute::MappedAddress(from))?;
            }
            _ => {
                b.add(&Attribute::XorMappedAddress(from))?;
            }
        }
        // Classic RFC 3489 clients get neither SOFTWARE nor FINGERPRINT: RFC 3489 defined no
        // FINGERPRINT, and its SERVER attribute (same number as SOFTWARE) had to be a multiple of
        // 4 bytes long; the Debian `stun` client rejects the response otherwise.
        if let Some(software) = self.config.software.as_deref().filter(|_| !classic) {
            b.add(&Attribute::Software(software))?;
        }
        if !classic && (self.config.always_fingerprint || request.has_fingerprint()) {
            b.add_fingerprint()?;
        }
        let len = b.finish().len();
        Ok((handled, len))
    }
}
