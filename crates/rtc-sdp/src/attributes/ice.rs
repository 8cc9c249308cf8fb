//! `a=ice-options` (RFC 8839 §5.6).

use std::borrow::Cow;
use std::fmt;

use super::TypedAttribute;
use super::syntax::{is_token_char, owned, sp_list, write_joined};
use crate::AttributeError;

/// `a=ice-options:trickle ice2`: the ICE extensions an agent supports.
///
/// Valid (and so round-trips) when it holds at least one option and no option is empty or holds
/// a space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceOptions<'a> {
    /// The option tags, in the order written.
    pub options: Vec<Cow<'a, str>>,
    /// The tags are separated by commas instead of spaces, as libdatachannel writes them
    /// (`a=ice-options:ice2,trickle`); kept so that the value is written back as it came.
    pub comma_separated: bool,
}

impl<'a> IceOptions<'a> {
    /// The `trickle` option (RFC 8838 §5, §19).
    pub const TRICKLE: &'static str = "trickle";
    /// The `ice2` option (RFC 8445 §10).
    pub const ICE2: &'static str = "ice2";

    /// Options from tags.
    pub fn new<I, S>(options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'a, str>>,
    {
        Self {
            options: options.into_iter().map(Into::into).collect(),
            comma_separated: false,
        }
    }

    /// Whether `option` is listed. RFC 8839 §5.6 does not make tags case-insensitive, so the
    /// comparison is exact.
    pub fn contains(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }

    /// Whether the agent supports trickle ICE (RFC 8838 §5).
    pub fn trickle(&self) -> bool {
        self.contains(Self::TRICKLE)
    }

    /// Whether the agent implements RFC 8445 rather than RFC 5245 (RFC 8445 §10).
    pub fn ice2(&self) -> bool {
        self.contains(Self::ICE2)
    }

    /// The same options, owning their text.
    pub fn into_owned(self) -> IceOptions<'static> {
        IceOptions {
            options: self.options.into_iter().map(owned).collect(),
            comma_separated: self.comma_separated,
        }
    }
}

/// RFC 8839 §5.6: `ice-option-tag = 1*ice-char`, but deployed tags such as Chrome's old
/// `google-ice` use token characters, so both are accepted.
fn is_option_tag(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| is_token_char(c) || c == b'/')
}

impl<'a> TypedAttribute<'a> for IceOptions<'a> {
    const NAME: &'static str = "ice-options";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8839 §5.6: ice-options = "ice-options:" ice-option-tag *(SP ice-option-tag)
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        // RFC 8839 separates tags with spaces; libdatachannel separates them with commas.
        let comma_separated = value.contains(',') && !value.contains(' ');
        let options = if comma_separated {
            value
                .split(',')
                .map(|o| {
                    if is_option_tag(o) {
                        Ok(Cow::Borrowed(o))
                    } else {
                        Err(AttributeError::InvalidField("ice option"))
                    }
                })
                .collect::<Result<_, _>>()?
        } else {
            sp_list(value, "ice option", is_option_tag)?
                .into_iter()
                .map(Cow::Borrowed)
                .collect()
        };
        Ok(Self {
            options,
            comma_separated,
        })
    }
}

impl fmt::Display for IceOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = if self.comma_separated { "," } else { " " };
        write_joined(f, &self.options, separator)
    }
}
