//! `--demo`'s plain TCP and UDP echo peers: the maker's TCP/IP note example addresses route to
//! them (and the SSL example addresses still to the TLS echo), and the plain TCP flow the
//! banner prints works when typed.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use qsslsim::cli::Cli;
use qsslsim::daemon::{net_policy, start_demo, DEMO_ADDRESSES, DEMO_PLAIN_ADDRESSES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn dial(policy: &qsslsim::network::NetPolicy, addr: &str) -> SocketAddr {
    let addr: SocketAddr = addr.parse().unwrap();
    policy.destination(&addr.ip().to_string(), addr.port(), true).await.unwrap().dial
}

#[tokio::test]
async fn demo_routes_the_tcpip_note_addresses_to_tcp_and_udp_echoes() {
    let mut args = Cli::parse_from(["qsslsim", "--demo"]).run;
    let peers = start_demo(&mut args).await.unwrap();
    assert!(peers.plain.ip().is_loopback() && peers.tls.ip().is_loopback());
    assert_ne!(peers.plain, peers.tls);
    let policy = net_policy(&args);
    assert_eq!(DEMO_PLAIN_ADDRESSES, ["220.180.239.212:8009", "10.7.89.10:6969"]);
    for from in DEMO_PLAIN_ADDRESSES {
        let to = dial(&policy, from).await;
        assert_eq!(to, peers.plain, "{from}");
        // TCP echo.
        let mut tcp = tokio::net::TcpStream::connect(to).await.unwrap();
        tcp.write_all(b"hello over tcp").await.unwrap();
        let mut back = [0u8; 14];
        tcp.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"hello over tcp");
        // UDP echo on the same address, answering from it.
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        udp.send_to(b"hello over udp", to).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, src) = udp.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], src), (&b"hello over udp"[..], to));
    }
    // The SSL demo routes are unchanged, and the name still leads to them.
    for from in DEMO_ADDRESSES {
        assert_eq!(dial(&policy, from).await, peers.tls, "{from}");
    }
    let named = policy.destination("peer.qsslsim.test", 8010, true).await.unwrap();
    assert_eq!((named.reported.ip(), named.dial), ("192.0.2.2".parse::<IpAddr>().unwrap(), peers.tls));
}
