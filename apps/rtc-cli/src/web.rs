//! The embedded page, served by [`crate::signaling::server`]: a video chat with a data
//! channel chat and file transfer (HTML and JavaScript, compiled into the binary).
//!
//! The page follows the same rules as the CLI peers: it joins the room in its URL
//! (`/r/NAME` or `/?room=NAME`), the newcomer offers, and files go over a `file` channel in
//! the protocol of [`crate::transfer`] (SHA-256 with `crypto.subtle.digest`). It takes its
//! ICE servers from `/config.json`.

/// `/` and `/r/NAME`.
pub const INDEX_HTML: &str = include_str!("../web/index.html");
/// `/app.js`.
pub const APP_JS: &str = include_str!("../web/app.js");
