//! Clients come and go: 100 open/close cycles of the pty keep the module's state, and the
//! daemon stays idle (no busy loop) while nobody is connected.

mod support;

use std::time::Duration;

use support::{read_text, Daemon, Port};

/// User + system CPU ticks of a process.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = read_text(format!("/proc/{pid}/stat"));
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields[0] is state (field 3); utime is field 14, stime 15.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn hundred_reconnects_keep_state_and_stay_idle() {
    let d = Daemon::start(&[]);
    {
        let mut p = d.port();
        p.transact("ATE0\r", "ATE0\r\r\nOK\r\n");
        p.transact("AT+CMEE=2\r", "\r\nOK\r\n");
        p.transact("AT+QIACT=1\r", "\r\nOK\r\n");
    }
    for i in 0..100 {
        let mut p = Port::open(&d.pty);
        if i % 10 == 0 {
            p.transact("AT+CMEE?\r", "\r\n+CMEE: 2\r\n\r\nOK\r\n");
        }
    }
    let mut p = Port::open(&d.pty);
    p.transact("AT+QIACT?\r", "\r\n+QIACT: 1,1,1,\"10.7.157.1\"\r\n\r\nOK\r\n");
    drop(p);
    let pid = d.child.id();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    // 100 ticks = one full second of CPU; an idle daemon uses (almost) none.
    assert!(used <= 2, "daemon used {used} CPU ticks in one idle second");
}
