//! Plain (no TLS) peers on loopback for the TCP/IP family's tests: a TCP echo server, a TCP
//! server driven by a closure, a UDP echo server, a loopback port nobody listens on, and a
//! cross-process lock for the fixed ports the maker's examples use (nextest runs every test
//! in a process of its own, so a `Mutex` would not serialise them).
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

/// A TCP server on 127.0.0.1 that echoes every byte of each connection it accepts until the
/// peer closes. Returns its address.
pub fn tcp_echo() -> SocketAddr {
    tcp_scripted(|mut s| {
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 || s.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    })
}

/// A TCP server on 127.0.0.1 that runs `script` on each accepted connection (in a thread of
/// its own). Returns its address.
pub fn tcp_scripted<F>(script: F) -> SocketAddr
where
    F: Fn(TcpStream) + Send + Sync + Clone + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
            let script = script.clone();
            std::thread::spawn(move || script(s));
        }
    });
    addr
}

/// A UDP socket on 127.0.0.1 that sends every datagram back to its sender. Returns its address.
pub fn udp_echo() -> SocketAddr {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            let _ = sock.send_to(&buf[..n], from);
        }
    });
    addr
}

/// A loopback TCP port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Hold an exclusive lock named `name` across test processes until the guard is dropped.
pub fn port_lock(name: &str) -> File {
    let path = std::env::temp_dir().join(format!("qsslsim-test-port-{name}.lock"));
    let f = File::create(path).unwrap();
    f.lock().unwrap();
    f
}
