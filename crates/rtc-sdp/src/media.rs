//! Typed accessors on sessions and media sections.

use crate::attributes::{
    Candidate, Direction, ExtMap, Fingerprint, Fmtp, Group, IceOptions, MaxMessageSize, Msid,
    MsidSemantic, Rid, Rtcp, RtcpFb, RtpMap, SctpPort, Setup, Simulcast, Ssrc, SsrcGroup,
    TypedAttribute,
};
use crate::{Attribute, Error, MediaDescription, SessionDescription};

/// Every attribute named `T::NAME`, parsed as `T`.
fn all<'s, T: TypedAttribute<'s> + 's>(
    attributes: &'s [Attribute<'_>],
) -> impl Iterator<Item = Result<T, Error>> + 's {
    attributes
        .iter()
        .filter(|a| a.name == T::NAME)
        .map(Attribute::parse_as::<T>)
}

/// The first attribute named `T::NAME`, parsed as `T`.
fn first<'s, T: TypedAttribute<'s> + 's>(
    attributes: &'s [Attribute<'_>],
) -> Result<Option<T>, Error> {
    all(attributes).next().transpose()
}

fn value<'s>(attributes: &'s [Attribute<'_>], name: &str) -> Option<&'s str> {
    attributes
        .iter()
        .find(|a| a.name == name)
        .and_then(|a| a.value.as_deref())
}

fn has(attributes: &[Attribute<'_>], name: &str) -> bool {
    attributes.iter().any(|a| a.name == name)
}

fn direction(attributes: &[Attribute<'_>]) -> Option<Direction> {
    attributes.iter().find_map(|a| match &*a.name {
        "sendrecv" => Some(Direction::SendRecv),
        "sendonly" => Some(Direction::SendOnly),
        "recvonly" => Some(Direction::RecvOnly),
        "inactive" => Some(Direction::Inactive),
        _ => None,
    })
}

/// Accessors shared by the session level and media sections (RFC 8829 lets several of these
/// stand at either level).
macro_rules! common_accessors {
    () => {
        /// The first attribute named `name`.
        pub fn attribute(&self, name: &str) -> Option<&Attribute<'a>> {
            self.attributes.iter().find(|a| a.name == name)
        }

        /// The value of the first attribute named `name`.
        pub fn attribute_value(&self, name: &str) -> Option<&str> {
            value(&self.attributes, name)
        }

        /// True when an attribute named `name` is present (`a=rtcp-mux`, `a=ice-lite`...).
        pub fn has_attribute(&self, name: &str) -> bool {
            has(&self.attributes, name)
        }

        /// Every attribute of type `T`, parsed.
        pub fn typed<'s, T: TypedAttribute<'s> + 's>(
            &'s self,
        ) -> impl Iterator<Item = Result<T, Error>> + 's {
            all(&self.attributes)
        }

        /// The first attribute of type `T`, parsed.
        pub fn typed_first<'s, T: TypedAttribute<'s> + 's>(&'s self) -> Result<Option<T>, Error> {
            first(&self.attributes)
        }

        /// `a=ice-ufrag`.
        pub fn ice_ufrag(&self) -> Option<&str> {
            value(&self.attributes, "ice-ufrag")
        }

        /// `a=ice-pwd`.
        pub fn ice_pwd(&self) -> Option<&str> {
            value(&self.attributes, "ice-pwd")
        }

        /// `a=ice-options`.
        pub fn ice_options(&self) -> Result<Option<IceOptions<'_>>, Error> {
            first(&self.attributes)
        }

        /// `a=fingerprint` lines.
        pub fn fingerprints(&self) -> impl Iterator<Item = Result<Fingerprint<'_>, Error>> {
            all(&self.attributes)
        }

        /// `a=setup`.
        pub fn setup(&self) -> Result<Option<Setup>, Error> {
            first(&self.attributes)
        }

        /// The direction attribute, if one is present (JSEP's default is sendrecv).
        pub fn direction(&self) -> Option<Direction> {
            direction(&self.attributes)
        }

        /// `a=extmap` lines.
        pub fn extmaps(&self) -> impl Iterator<Item = Result<ExtMap<'_>, Error>> {
            all(&self.attributes)
        }

        /// `a=extmap-allow-mixed` (RFC 8285 §6).
        pub fn extmap_allow_mixed(&self) -> bool {
            has(&self.attributes, "extmap-allow-mixed")
        }
    };
}

impl<'a> SessionDescription<'a> {
    common_accessors!();

    /// `a=ice-lite`.
    pub fn ice_lite(&self) -> bool {
        has(&self.attributes, "ice-lite")
    }

    /// `a=group` lines (BUNDLE, LS).
    pub fn groups(&self) -> impl Iterator<Item = Result<Group<'_>, Error>> {
        all(&self.attributes)
    }

    /// The mids of the first BUNDLE group.
    pub fn bundle_group(&self) -> Result<Option<Group<'_>>, Error> {
        for group in self.groups() {
            let group = group?;
            if group.semantics.eq_ignore_ascii_case("BUNDLE") {
                return Ok(Some(group));
            }
        }
        Ok(None)
    }

    /// `a=msid-semantic`.
    pub fn msid_semantic(&self) -> Result<Option<MsidSemantic<'_>>, Error> {
        first(&self.attributes)
    }

    /// The media section whose `a=mid` is `mid`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription<'a>> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }
}

impl<'a> MediaDescription<'a> {
    common_accessors!();

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        value(&self.attributes, "mid")
    }

    /// `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = Result<RtpMap<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=fmtp` lines.
    pub fn fmtps(&self) -> impl Iterator<Item = Result<Fmtp<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=rtcp-fb` lines.
    pub fn rtcp_fbs(&self) -> impl Iterator<Item = Result<RtcpFb<'_>, Error>> {
        all(&self.attributes)
    }

    /// The `a=rtpmap` of payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Result<Option<RtpMap<'_>>, Error> {
        for map in self.rtpmaps() {
            let map = map?;
            if map.payload_type == pt {
                return Ok(Some(map));
            }
        }
        Ok(None)
    }

    /// The `a=fmtp` of format `format` (a payload type, as written in the `m=` line).
    pub fn fmtp(&self, format: &str) -> Result<Option<Fmtp<'_>>, Error> {
        for fmtp in self.fmtps() {
            let fmtp = fmtp?;
            if fmtp.format == format {
                return Ok(Some(fmtp));
            }
        }
        Ok(None)
    }

    /// `a=rtcp`.
    pub fn rtcp(&self) -> Result<Option<Rtcp<'_>>, Error> {
        first(&self.attributes)
    }

    /// `a=rtcp-mux` (RFC 5761).
    pub fn rtcp_mux(&self) -> bool {
        has(&self.attributes, "rtcp-mux")
    }

    /// `a=rtcp-mux-only` (RFC 8858).
    pub fn rtcp_mux_only(&self) -> bool {
        has(&self.attributes, "rtcp-mux-only")
    }

    /// `a=rtcp-rsize` (RFC 5506).
    pub fn rtcp_rsize(&self) -> bool {
        has(&self.attributes, "rtcp-rsize")
    }

    /// `a=msid` lines.
    pub fn msids(&self) -> impl Iterator<Item = Result<Msid<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=ssrc` lines.
    pub fn ssrcs(&self) -> impl Iterator<Item = Result<Ssrc<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=ssrc-group` lines (FID, SIM).
    pub fn ssrc_groups(&self) -> impl Iterator<Item = Result<SsrcGroup<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=rid` lines (RFC 8851).
    pub fn rids(&self) -> impl Iterator<Item = Result<Rid<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=simulcast` (RFC 8853).
    pub fn simulcast(&self) -> Result<Option<Simulcast<'_>>, Error> {
        first(&self.attributes)
    }

    /// `a=candidate` lines.
    pub fn candidates(&self) -> impl Iterator<Item = Result<Candidate<'_>, Error>> {
        all(&self.attributes)
    }

    /// `a=end-of-candidates` (RFC 8840).
    pub fn end_of_candidates(&self) -> bool {
        has(&self.attributes, "end-of-candidates")
    }

    /// `a=bundle-only` (RFC 8843 §6).
    pub fn bundle_only(&self) -> bool {
        has(&self.attributes, "bundle-only")
    }

    /// `a=sctp-port` (RFC 8841).
    pub fn sctp_port(&self) -> Result<Option<u16>, Error> {
        Ok(first::<SctpPort>(&self.attributes)?.map(|p| p.0))
    }

    /// `a=max-message-size` (RFC 8841; 0 means no limit).
    pub fn max_message_size(&self) -> Result<Option<u64>, Error> {
        Ok(first::<MaxMessageSize>(&self.attributes)?.map(|m| m.0))
    }

    /// A section with port 0 that is not `a=bundle-only` is rejected (RFC 8829 §5.2.2, §5.3.1).
    pub fn is_rejected(&self) -> bool {
        self.port == 0 && !self.bundle_only()
    }
}
