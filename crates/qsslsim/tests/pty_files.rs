//! The module's file system through the pty: AT+QFUPL (size, ACK mode, +++ early end,
//! inactivity timeout, checksum), AT+QFLST, AT+QFDEL, AT+QFDWL, and --file preloading.

mod support;

use std::time::Duration;

use support::Daemon;

/// The checksum as SPEC §10 defines it, computed independently here.
fn xor16(data: &[u8]) -> u16 {
    data.chunks(2)
        .fold(0u16, |acc, pair| acc ^ (u16::from(pair[0]) << 8 | u16::from(*pair.get(1).unwrap_or(&0))))
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn upload_list_download_delete() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    let data = payload(1939);
    p.transact("AT+QFUPL=\"isrgx1.pem\",1939,60\r", "\r\nCONNECT\r\n");
    p.send(&data);
    p.expect(format!("\r\n+QFUPL: 1939,{:x}\r\n\r\nOK\r\n", xor16(&data)).as_bytes());
    p.transact("AT+QFUPL=\"RAM:cacert.pem\",5\r", "\r\nCONNECT\r\n");
    // Bytes after the declared size are commands again.
    p.send(b"\x1a\x1b+++AT\r");
    p.expect(format!("\r\n+QFUPL: 5,{:x}\r\n\r\nOK\r\n", xor16(b"\x1a\x1b+++")).as_bytes());
    p.expect(b"\r\nOK\r\n");
    p.transact("AT+QFLST=\"*\"\r", "\r\n+QFLST: \"UFS:isrgx1.pem\",1939\r\n\r\nOK\r\n");
    p.transact("AT+QFLST=\"RAM:*\"\r", "\r\n+QFLST: \"RAM:cacert.pem\",5\r\n\r\nOK\r\n");
    p.transact("AT+QFLST\r", "\r\n+QFLST: \"UFS:isrgx1.pem\",1939\r\n\r\nOK\r\n");
    // Uploading over an existing file is refused.
    p.transact("AT+QFUPL=\"isrgx1.pem\",10\r", "\r\n+CME ERROR: 407\r\n");
    p.send(b"AT+QFDWL=\"RAM:cacert.pem\"\r");
    let mut want = b"\r\nCONNECT\r\n\x1a\x1b+++".to_vec();
    want.extend_from_slice(format!("\r\n+QFDWL: 5,{:x}\r\n\r\nOK\r\n", xor16(b"\x1a\x1b+++")).as_bytes());
    p.expect(&want);
    p.transact("AT+QFDEL=\"isrgx1.pem\"\r", "\r\nOK\r\n");
    p.transact("AT+QFDEL=\"isrgx1.pem\"\r", "\r\n+CME ERROR: 405\r\n");
    p.transact("AT+QFLST=\"*\"\r", "\r\nOK\r\n");
    p.transact("AT+QFUPL=\"bad/name\",10\r", "\r\n+CME ERROR: 406\r\n");
    p.transact("AT+QFUPL=\"x\",0\r", "\r\n+CME ERROR: 425\r\n");
    p.transact("AT+QFUPL=\"x\",100000000\r", "\r\n+CME ERROR: 423\r\n");
    p.transact("AT+QFUPL=\"../../etc/passwd\",10\r", "\r\n+CME ERROR: 406\r\n");
    p.transact("AT+QFDWL=\"/etc/passwd\"\r", "\r\n+CME ERROR: 406\r\n");
}

#[test]
fn upload_ack_mode_writes_a_after_each_kilobyte() {
    let d = Daemon::start(&[]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    let data = payload(3000);
    p.transact("AT+QFUPL=\"ack.bin\",3000,5,1\r", "\r\nCONNECT\r\n");
    p.send(&data[..1024]);
    p.expect(b"A");
    p.send(&data[1024..2048]);
    p.expect(b"A");
    p.send(&data[2048..]);
    p.expect(format!("\r\n+QFUPL: 3000,{:x}\r\n\r\nOK\r\n", xor16(&data)).as_bytes());
}

#[test]
fn upload_ends_early_on_guarded_plus_and_on_inactivity() {
    let d = Daemon::start(&["--guard-time", "200"]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QFUPL=\"early.bin\",100,5\r", "\r\nCONNECT\r\n");
    p.send(b"hello");
    std::thread::sleep(Duration::from_millis(400));
    p.send(b"+++");
    p.expect(format!("\r\n+QFUPL: 5,{:x}\r\n\r\nOK\r\n", xor16(b"hello")).as_bytes());
    p.transact("AT+QFUPL=\"idle.bin\",100,1\r", "\r\nCONNECT\r\n");
    p.send(b"abc");
    // One second without input ends it with what came.
    p.expect(format!("\r\n+QFUPL: 3,{:x}\r\n\r\nOK\r\n", xor16(b"abc")).as_bytes());
    p.transact("AT+QFLST\r", "\r\n+QFLST: \"UFS:early.bin\",5\r\n+QFLST: \"UFS:idle.bin\",3\r\n\r\nOK\r\n");
}

#[test]
fn files_preloaded_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("qsslsim-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ca.pem");
    std::fs::write(&path, b"0123456789").unwrap();
    let arg = format!("UFS:cacert.pem={}", path.display());
    let arg2 = format!("RAM:cacert.pem={}", path.display());
    let d = Daemon::start(&["--file", &arg, "--file", &arg2]);
    let mut p = d.port();
    p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
    p.transact("AT+QFLST=\"*\"\r", "\r\n+QFLST: \"UFS:cacert.pem\",10\r\n\r\nOK\r\n");
    p.transact("AT+QFLST=\"RAM:*\"\r", "\r\n+QFLST: \"RAM:cacert.pem\",10\r\n\r\nOK\r\n");
    let _ = std::fs::remove_dir_all(dir);
}
