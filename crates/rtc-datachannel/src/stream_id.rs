//! Which side opens data channels on which SCTP stream ids (RFC 8832 §4, §6; RFC 8831 §6.5).

/// The largest stream id a data channel can use: RFC 8831 §6.2 negotiates at most 65535
/// streams, so ids run from 0 to 65534; W3C `RTCDataChannel` reserves 65535.
pub const MAX_STREAM_ID: u16 = 65_534;

/// The side's role in the DTLS connection that carries SCTP (RFC 8261), which decides the
/// parity of the stream ids it opens channels on.
///
/// RFC 8832 §6: "If the side is acting as the DTLS client, it MUST choose an even stream
/// identifier; if the side is acting as the DTLS server, it MUST choose an odd one." RFC 8831
/// §6.5 applies the same rule to out-of-band negotiated channels unless the application
/// decides otherwise. Splitting the ids this way keeps both sides from opening a channel on
/// the same stream at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// The DTLS client: opens channels on even stream ids.
    Client,
    /// The DTLS server: opens channels on odd stream ids.
    Server,
}

impl DtlsRole {
    /// The other side's role.
    pub const fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }

    /// The stream id parity this role opens channels on: 0 (even) for the client, 1 (odd) for
    /// the server.
    pub const fn parity(self) -> u16 {
        match self {
            Self::Client => 0,
            Self::Server => 1,
        }
    }

    /// Whether this role may open a data channel on `stream_id`: the parity is its own and the
    /// id is at most [`MAX_STREAM_ID`].
    ///
    /// Check a received DATA_CHANNEL_OPEN with `local_role.peer().may_open(id)`: RFC 8832 §6
    /// says one on a stream of the wrong parity is refused by closing the channel.
    pub const fn may_open(self, stream_id: u16) -> bool {
        stream_id <= MAX_STREAM_ID && stream_id % 2 == self.parity()
    }

    /// The stream ids this role may open channels on, in increasing order, below
    /// `stream_count`: the smaller of the association's negotiated outbound and inbound stream
    /// counts (at most 65535, RFC 8831 §6.2). The caller picks the first one no channel uses.
    pub fn stream_ids(self, stream_count: u16) -> impl Iterator<Item = u16> + Clone {
        (self.parity()..stream_count).step_by(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_even_server_odd() {
        assert!(DtlsRole::Client.may_open(0));
        assert!(DtlsRole::Client.may_open(MAX_STREAM_ID));
        assert!(!DtlsRole::Client.may_open(1));
        assert!(DtlsRole::Server.may_open(1));
        assert!(DtlsRole::Server.may_open(65_533));
        assert!(!DtlsRole::Server.may_open(65_535), "65535 is reserved");
        for id in 0..=u16::MAX {
            let owners = [DtlsRole::Client, DtlsRole::Server].map(|r| r.may_open(id));
            assert_eq!(
                owners.iter().filter(|&&o| o).count(),
                usize::from(id != 65_535)
            );
        }
    }

    #[test]
    fn stream_ids_stay_below_the_count() {
        let client: Vec<u16> = DtlsRole::Client.stream_ids(5).collect();
        let server: Vec<u16> = DtlsRole::Server.stream_ids(5).collect();
        assert_eq!((client, server), (vec![0, 2, 4], vec![1, 3]));
        assert_eq!(DtlsRole::Server.stream_ids(1).next(), None);
        assert_eq!(
            DtlsRole::Client.stream_ids(u16::MAX).last(),
            Some(MAX_STREAM_ID)
        );
        assert_eq!(DtlsRole::Server.stream_ids(u16::MAX).last(), Some(65_533));
        assert_eq!(DtlsRole::Client.stream_ids(u16::MAX).count(), 32_768);
    }
}
