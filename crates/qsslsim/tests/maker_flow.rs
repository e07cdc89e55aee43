//! The maker's worked flow (SPEC §11), verbatim, through the pty: 192.0.2.2 is routed to the
//! built-in TLS echo peer; buffer, push and transparent modes with exact bytes.

mod support;

use std::time::Duration;

use support::{Daemon, Peer, Port};

const CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../certs/ca.pem");

fn start() -> (Peer, Daemon, Port) {
    let peer = Peer::start("echo");
    let r1 = format!("192.0.2.2:8010={}", peer.addr);
    let r2 = format!("192.0.2.2:8011={}", peer.addr);
    let ca = format!("RAM:cacert.pem={CA}");
    let d = Daemon::start(&["--route", &r1, "--route", &r2, "--file", &ca, "--guard-time", "300"]);
    let p = d.port();
    (peer, d, p)
}

#[test]
fn makers_flow_in_all_three_modes() {
    let (_peer, _d, mut p) = start();
    p.transact("AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1\r", "AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1\r\r\nOK\r\n");
    p.transact("AT+QIACT=1\r", "AT+QIACT=1\r\r\nOK\r\n");
    p.transact("AT+QIACT?\r", "AT+QIACT?\r\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"sslversion\",1,1\r", "AT+QSSLCFG=\"sslversion\",1,1\r\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"ciphersuite\",1,0X0035\r", "AT+QSSLCFG=\"ciphersuite\",1,0X0035\r\r\nOK\r\n");
    p.transact("AT+QSSLCFG=\"seclevel\",1,1\r", "AT+QSSLCFG=\"seclevel\",1,1\r\r\nOK\r\n");
    p.transact(
        "AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"\r",
        "AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"\r\r\nOK\r\n",
    );

    // Buffer mode.
    p.transact(
        "AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r",
        "AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0\r\r\nOK\r\n",
    );
    p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");
    p.transact("AT+QSSLSEND=4\r", "AT+QSSLSEND=4\r\r\n> ");
    p.send(b"Test data from SSL\x1a");
    p.expect(b"Test data from SSL\r\nSEND OK\r\n");
    p.expect(b"\r\n+QSSLURC: \"recv\",4\r\n");
    p.transact("AT+QSSLSEND=4,18\r", "AT+QSSLSEND=4,18\r\r\n> ");
    p.send(b"Test data from SSL");
    p.expect(b"Test data from SSL\r\nSEND OK\r\n");
    // The buffer was not drained: no second URC.
    p.expect_quiet(Duration::from_millis(200));
    p.transact(
        "AT+QSSLRECV=4,1500\r",
        "AT+QSSLRECV=4,1500\r\r\n+QSSLRECV: 36\r\nTest data from SSLTest data from SSL\r\n\r\nOK\r\n",
    );
    p.transact("AT+QSSLRECV=4,1500\r", "AT+QSSLRECV=4,1500\r\r\n+QSSLRECV: 0\r\n\r\nOK\r\n");
    p.send(b"AT+QSSLSTATE\r");
    let state = String::from_utf8(p.read_until(b"OK\r\n", Duration::from_secs(5))).unwrap();
    let prefix = "AT+QSSLSTATE\r\r\n+QSSLSTATE: 4,\"SSLClient\",\"192.0.2.2\",8010,";
    assert!(state.starts_with(prefix), "{state:?}");
    assert!(state.ends_with(",2,1,4,0,\"uart1\",1\r\n\r\nOK\r\n"), "{state:?}");
    p.transact("AT+QSSLCLOSE=4\r", "AT+QSSLCLOSE=4\r\r\nOK\r\n");
    p.transact("AT+QSSLSTATE\r", "AT+QSSLSTATE\r\r\nOK\r\n");

    // Direct push mode.
    p.transact(
        "AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,1\r",
        "AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,1\r\r\nOK\r\n",
    );
    p.expect(b"\r\n+QSSLOPEN: 4,0\r\n");
    p.transact("AT+QSSLSEND=4,18\r", "AT+QSSLSEND=4,18\r\r\n> ");
    p.send(b"Test data from SSL");
    p.expect(b"Test data from SSL\r\nSEND OK\r\n");
    p.expect(b"\r\n+QSSLURC: \"recv\",4,18\r\nTest data from SSL");
    p.transact("AT+QSSLCLOSE=4\r", "AT+QSSLCLOSE=4\r\r\nOK\r\n");

    // Transparent mode.
    p.transact(
        "AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r",
        "AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2\r\r\nCONNECT\r\n",
    );
    p.send(b"raw bytes \x1a\x1b\r\n");
    p.expect(b"raw bytes \x1a\x1b\r\n");
    std::thread::sleep(Duration::from_millis(400));
    p.send(b"+++");
    p.expect(b"\r\nOK\r\n");
    p.transact("AT+QSSLSTATE=4\r", "AT+QSSLSTATE=4\r\r\n");
    let line = String::from_utf8(p.read_until(b"OK\r\n", Duration::from_secs(5))).unwrap();
    // Still connected, now in buffer mode.
    assert!(line.ends_with(",2,1,4,0,\"uart1\",1\r\n\r\nOK\r\n"), "{line:?}");
    p.transact("AT+QSSLCLOSE=4\r", "AT+QSSLCLOSE=4\r\r\nOK\r\n");
    p.transact("AT+QIDEACT=1\r", "AT+QIDEACT=1\r\r\nOK\r\n");
    p.expect_quiet(Duration::from_millis(200));
}
