//! A STUN Binding server on a UDP socket, driving [`rtc_stun::BindingServer`].
//!
//! ```text
//! cargo run -p rtc-stun --example stun_server -- 127.0.0.1:3478
//! ```

use std::net::UdpSocket;

use rtc_stun::{BindingServer, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3478".to_owned());
    let socket = UdpSocket::bind(&addr)?;
    let mut server = BindingServer::new(ServerConfig {
        software: Some(concat!("rtc-stun ", env!("CARGO_PKG_VERSION")).to_owned()),
        always_fingerprint: false,
    });
    println!("listening on {}", socket.local_addr()?);
    let verbose = std::env::var_os("STUN_VERBOSE").is_some();
    let mut buf = [0u8; 2048];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        match server.handle_input(from, &buf[..n]) {
            Ok(handled) if verbose => println!("{from}: {handled:?}"),
            Ok(_) => {}
            // Whatever arrives, the server answers or drops it and carries on.
            Err(e) => eprintln!("{from}: dropped {n} bytes: {e}"),
        }
        while let Some(t) = server.poll_transmit() {
            socket.send_to(t.contents, t.destination)?;
        }
    }
}
