//! Shared lexical rules of the attribute grammars (RFC 8866 §9 and friends).
//!
//! Everything here works on `&str` with `split_once` / `strip_prefix`, never indexing, so no input
//! can make a parser panic.

use std::str::FromStr;

use crate::AttributeError;

/// RFC 8866 §9: `token-char = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
/// "-" / "." / "^" / "_" / "`" / "{" / "|" / "}" / "~"` (%x21 / %x23-27 / %x2A-2B / %x2D-2E /
/// %x30-39 / %x41-5A / %x5E-7E).
pub(crate) const fn is_token_char(c: u8) -> bool {
    matches!(c, 0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E)
}

/// RFC 8866 §9: `token = 1*(token-char)`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// RFC 8839 §5.1: `ice-char = ALPHA / DIGIT / "+" / "/"`.
pub(crate) fn is_ice_chars(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// RFC 5234 `VCHAR = %x21-7E`, one or more.
pub(crate) fn is_vchars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_graphic())
}

/// RFC 8866 §9: `byte-string = 1*(%x01-09/%x0B-0C/%x0E-FF)` (no NUL, CR or LF). Empty is allowed
/// here: callers that need a value check for emptiness themselves.
pub(crate) fn is_byte_string(s: &str) -> bool {
    !s.bytes().any(|c| matches!(c, 0x00 | b'\r' | b'\n'))
}

/// Returns `Ok(s)` if `s` is a token, else `InvalidField(field)` (`MissingField` when empty).
pub(crate) fn token<'a>(s: &'a str, field: &'static str) -> Result<&'a str, AttributeError> {
    if s.is_empty() {
        Err(AttributeError::MissingField(field))
    } else if is_token(s) {
        Ok(s)
    } else {
        Err(AttributeError::InvalidField(field))
    }
}

/// A decimal number: ASCII digits only (no sign, no whitespace), fitting in `T`, without
/// leading zeros.
///
/// RFC 8866 §9 writes numbers as `integer = POS-DIGIT *DIGIT` or `zero-based-integer = "0" /
/// integer`; some attribute grammars say `1*DIGIT`, but no stack writes leading zeros there, and
/// refusing them means every accepted number is written back exactly as read.
pub(crate) fn number<T: FromStr>(s: &str, field: &'static str) -> Result<T, AttributeError> {
    if s.is_empty() {
        return Err(AttributeError::MissingField(field));
    }
    // `FromStr` for integers accepts a leading '+'; the SDP grammars do not.
    if !s.bytes().all(|c| c.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return Err(AttributeError::InvalidField(field));
    }
    s.parse().map_err(|_| AttributeError::InvalidField(field))
}

/// Like [`number`], for getters that answer `None` instead of an error.
pub(crate) fn opt_number<T: FromStr>(s: &str) -> Option<T> {
    number(s, "number").ok()
}

/// Splits `s` at the first space: `(head, Some(rest))`, or `(s, None)` without a space.
pub(crate) fn split_sp(s: &str) -> (&str, Option<&str>) {
    match s.split_once(' ') {
        Some((head, rest)) => (head, Some(rest)),
        None => (s, None),
    }
}

/// A list of tokens separated by single spaces, each checked with `valid`. Empty input gives an
/// empty list; an empty item (two spaces, or a leading or trailing space) is `InvalidField`.
pub(crate) fn sp_list<'a>(
    s: &'a str,
    field: &'static str,
    valid: fn(&str) -> bool,
) -> Result<Vec<&'a str>, AttributeError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(' ')
        .map(|item| {
            if valid(item) {
                Ok(item)
            } else {
                Err(AttributeError::InvalidField(field))
            }
        })
        .collect()
}

/// Writes `items` separated by `sep`.
pub(crate) fn write_joined<T: std::fmt::Display>(
    f: &mut std::fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    sep: &str,
) -> std::fmt::Result {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Takes ownership of the text of a `Cow`, for `into_owned` methods.
pub(crate) fn owned(s: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'static, str> {
    std::borrow::Cow::Owned(s.into_owned())
}
