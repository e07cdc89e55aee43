//! Starting the emulator from its command line: build the module (preloaded files, identity,
//! timing, TLS policy, key log), open the pty, listen on `--tcp`/`--rfc2217`, publish it
//! (`--link`, the `READY` line, then one `TCP ADDR:PORT` / `RFC2217 ADDR:PORT` line per
//! endpoint), run the
//! event loop until SIGINT/SIGTERM/SIGHUP, and clean up.
//!
//! This module also owns what the daemon puts on the file system and its own output:
//!
//! - **Names are claimed, never clobbered.** `--link PATH` replaces only a symlink into
//!   `/dev/pts/` (one a qsslsim made) and `--control PATH` only a stale socket (connecting is
//!   refused); anything else there is refused with a message and exit 1. A live daemon is
//!   detected by a lock: `PATH.lock` next to the link, held with `flock` for the daemon's life
//!   (the kernel drops it when the process dies, however it dies, so a crash never leaves a
//!   name taken), holding `qsslsim <pid>`; and for the control socket, by the socket
//!   answering. Both are refused unless `--force`, which takes the names over (never a file
//!   or directory that is not ours).
//! - **Whatever we published goes on every way out**: a normal return, an error return, a
//!   signal, a panic unwinding the main thread (a guard's `Drop`), or a panic that aborts (a
//!   panic hook). The link is removed only if it still points at our pty, the socket and the
//!   lock file only if they are still the inodes we made, so a daemon that took them over
//!   keeps them.
//! - **Output never kills the daemon.** The banner and the log go through writers that ignore
//!   write errors: a reader of stdout or stderr going away (`| head`, a closed `tee`) costs
//!   the daemon nothing.

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qsslsim_modem::{Modem, ModemConfig, Timing};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::cli::{RunArgs, TimingProfile};
use crate::network::{NetPolicy, TcpConnector};
use crate::pty::Pty;
use crate::runtime::{self, ControlHandle};

/// The module as the command line describes it.
pub fn build_modem(args: &RunArgs) -> Result<Modem, String> {
    let cfg = ModemConfig {
        model: args.model.clone(),
        at_port: args.at_port.clone(),
        guard_time: Duration::from_millis(args.guard_time),
        timing: match args.timing {
            TimingProfile::Fast => Timing::fast(),
            TimingProfile::Realistic => Timing::realistic(),
            TimingProfile::Instant => Timing::instant(),
        },
        apn_required: args.apn_required,
        identity: qsslsim_modem::Identity {
            imei: args.imei.clone(),
            imsi: args.imsi.clone(),
            iccid: args.iccid.clone(),
            ..qsslsim_modem::Identity::default()
        },
        power_on_after: args.power_on_after.map(Duration::from_millis),
        sim: qsslsim_modem::sim::SimConfig {
            absent: args.no_sim,
            pin: args.sim_pin.clone(),
            puk: args.sim_puk.clone(),
        },
        tls: qsslsim_tls::TlsPolicy {
            allow_tls13: args.tls13,
            strict: args.strict_tls,
            ..Default::default()
        },
        baud: args.baud,
        gnss_position: args.gnss_fix.unwrap_or_default(),
        ..ModemConfig::default()
    };
    let mut modem = Modem::new(cfg, runtime::now(), std::time::SystemTime::now());
    if args.boot_urcs {
        modem.boot_output(runtime::now());
    }
    if let Some(path) = &args.scenario {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("--scenario {}: {e}", path.display()))?;
        let scenario = qsslsim_modem::scenario::Scenario::parse(&text)
            .map_err(|e| format!("--scenario {}: {e}", path.display()))?;
        modem.load_scenario(scenario, runtime::now());
    }
    if args.demo {
        for name in ["UFS:cacert.pem", "RAM:cacert.pem"] {
            modem
                .files_mut()
                .put(name, crate::peer::TEST_CA_PEM.to_vec())
                .map_err(|c| format!("demo CA: {c}"))?;
        }
    }
    for (name, path) in args.files()? {
        let data = std::fs::read(&path).map_err(|e| format!("--file {name}={}: {e}", path.display()))?;
        modem
            .files_mut()
            .put(&name, data)
            .map_err(|code| format!("--file {name}: the module refuses it (+CME ERROR: {code})"))?;
    }
    Ok(modem)
}

pub fn net_policy(args: &RunArgs) -> NetPolicy {
    NetPolicy { mode: args.net, resolve: args.resolve.clone(), routes: args.route.clone() }
}

/// The maker's example addresses (SPEC §11) that `--demo` routes to the built-in peer.
pub const DEMO_ADDRESSES: &[&str] = &["192.0.2.2:8010", "192.0.2.2:8011"];

/// The maker's TCP/IP application note example addresses that `--demo` routes to the plain
/// echo peers (docs/guide.md lists where each comes from): the TCP client examples in buffer,
/// push and transparent mode, and the address the UDP SERVICE example sends to. A route
/// matches address and port whatever the protocol, so the TCP and the UDP echo share one
/// loopback port and every address below reaches both.
pub const DEMO_PLAIN_ADDRESSES: &[&str] = &["220.180.239.212:8009", "10.7.89.10:6969"];

/// Where `--demo`'s peers listen.
#[derive(Debug, Clone, Copy)]
pub struct DemoPeers {
    /// The TLS echo.
    pub tls: std::net::SocketAddr,
    /// The plain TCP echo and the UDP echo (the same port number).
    pub plain: std::net::SocketAddr,
}

/// A TCP listener and a UDP socket on the same loopback port.
async fn bind_plain_pair() -> std::io::Result<(tokio::net::TcpListener, tokio::net::UdpSocket)> {
    let mut tries = 0;
    loop {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        match tokio::net::UdpSocket::bind(tcp.local_addr()?).await {
            Ok(udp) => return Ok((tcp, udp)),
            // Someone has that UDP port: take another TCP port.
            Err(e) if tries >= 16 => return Err(e),
            Err(_) => tries += 1,
        }
    }
}

/// `--demo`: start the echo peers (TLS, plain TCP, UDP) and extend the arguments so the
/// maker's flows reach them.
pub async fn start_demo(args: &mut RunArgs) -> Result<DemoPeers, String> {
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("demo peer: {e}"))?;
    let tls = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(crate::peer::serve(
        listener,
        crate::peer::server_config(args.tls13),
        crate::peer::PeerMode::Echo,
    ));
    let (tcp, udp) = bind_plain_pair().await.map_err(|e| format!("demo TCP/UDP peer: {e}"))?;
    let plain = tcp.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(crate::peer_plain::serve_tcp(tcp, crate::peer::PeerMode::Echo));
    tokio::spawn(crate::peer_plain::serve_udp(udp, crate::peer::PeerMode::Echo, Default::default()));
    for from in DEMO_ADDRESSES {
        args.route.push(format!("{from}={tls}").parse()?);
    }
    for from in DEMO_PLAIN_ADDRESSES {
        args.route.push(format!("{from}={plain}").parse()?);
    }
    // The name leads to the maker's example address, so the routes above apply to it too.
    args.resolve.push("peer.qsslsim.test=192.0.2.2".parse()?);
    Ok(DemoPeers { tls, plain })
}

/// The banner `--demo` prints after `READY`: the peers, how to open the port (and the network
/// endpoints' pyserial URLs), the SSL flow to type (buffer, transparent with `+++` and `ATO`,
/// push), a plain TCP flow (buffer mode), and with `--control` one `qsslsim ctl` example that
/// works while socket 4 is open.
pub fn demo_text(link: &str, peers: DemoPeers, control: Option<&str>, urls: &[String]) -> String {
    let (peer, plain) = (peers.tls, peers.plain);
    let mut text = format!(
        "qsslsim demo: TLS echo peer on {peer}, reachable as 192.0.2.2:8010 and 192.0.2.2:8011 (also by the name peer.qsslsim.test); test CA preloaded as UFS:cacert.pem and RAM:cacert.pem.
Plain TCP and UDP echo peers on {plain} (one port for both), reachable as 220.180.239.212:8009 and 10.7.89.10:6969 (the maker's TCP/IP note examples).
Open the port:   picocom --omap delbs {link}    (or: minicom -o -D {link})
"
    );
    for url in urls {
        text.push_str(&format!(
            "Or over TCP:     python3 -m serial.tools.miniterm {url}    (one client at a time)\n"
        ));
    }
    if let Some(ctl) = control {
        text.push_str(&format!(
            "Control socket:  {ctl}    (while socket 4 is open: qsslsim ctl --control {ctl} fault server_close socket=4)
"
        ));
    }
    text.push_str(
        "Then type (the maker's flow):
  AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1
  AT+QIACT=1
  AT+QIACT?
  AT+QSSLCFG=\"sslversion\",1,1
  AT+QSSLCFG=\"ciphersuite\",1,0X0035
  AT+QSSLCFG=\"seclevel\",1,1
  AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"
  AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0        (buffer mode: OK, then +QSSLOPEN: 4,0)
  AT+QSSLSEND=4                                 (> then type Test data from SSL, then Ctrl+Z)
  AT+QSSLRECV=4,1500                            (after +QSSLURC: \"recv\",4)
  AT+QSSLSTATE
  AT+QSSLCLOSE=4
  AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2        (transparent: CONNECT; type, it echoes; wait 1 s, +++, wait 1 s: OK)
  ATO                                           (CONNECT: back in transparent mode; leave again with +++)
  AT+QSSLCLOSE=4
  AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,1        (push mode: OK, then +QSSLOPEN: 4,0)
  AT+QSSLSEND=4                                 (> type hello, Ctrl+Z: SEND OK, then +QSSLURC: \"recv\",4,5 and hello)
  AT+QSSLCLOSE=4
  AT+QIDEACT=1
Then plain TCP (the maker's TCP/IP note, to the TCP echo):
  AT+QIACT=1
  AT+QIOPEN=1,0,\"TCP\",\"220.180.239.212\",8009,0,0    (buffer mode: OK, then +QIOPEN: 0,0)
  AT+QISEND=0,5                                     (> then type hello: SEND OK, then +QIURC: \"recv\",0)
  AT+QIRD=0,1500                                    (+QIRD: 5 and hello)
  AT+QICLOSE=0
Stop with Ctrl+C.",
    );
    text
}

/// Run the daemon until a signal; returns the process exit code.
pub async fn run(mut args: RunArgs) -> i32 {
    // Whatever is published below is removed when this returns or unwinds.
    let _published = Cleanup;
    let endpoints = network_endpoints(&args);
    for (via, addr) in &endpoints {
        if let Err(e) = crate::net_port::check_address(&format!("--{via}"), *addr, args.listen_any) {
            complain(&format!("qsslsim: {e}"));
            return 2;
        }
    }
    // Claim the names before anything else, so a refusal has no side effects.
    if let Some(link) = &args.link {
        if let Err(e) = claim_link(link, args.force) {
            complain(&format!("qsslsim: {e}"));
            return 1;
        }
    }
    if let Some(path) = &args.control {
        if let Err(e) = check_control(path, args.force).await {
            complain(&format!("qsslsim: {e}"));
            return 1;
        }
    }
    // Before any connection can be made, so that no session escapes the key log.
    if let Some(path) = args.keylog_path() {
        if let Err(e) = start_keylog(&path) {
            complain(&format!("qsslsim: {e}"));
            return 1;
        }
    }
    let demo_peers = if args.demo {
        match start_demo(&mut args).await {
            Ok(peers) => Some(peers),
            Err(e) => {
                complain(&format!("qsslsim: {e}"));
                return 1;
            }
        }
    } else {
        None
    };
    let modem = match build_modem(&args) {
        Ok(m) => m,
        Err(e) => {
            error!("{e}");
            complain(&format!("qsslsim: {e}"));
            return 2;
        }
    };
    let pty = match Pty::open() {
        Ok(p) => p,
        Err(e) => {
            complain(&format!("qsslsim: cannot open a pty: {e}"));
            return 1;
        }
    };
    let slave = pty.path().to_path_buf();
    if let Some(link) = &args.link {
        if let Err(e) = publish_link(link, &slave) {
            complain(&format!("qsslsim: cannot link {} -> {}: {e}", link.display(), slave.display()));
            return 1;
        }
    }
    let connector = Arc::new(TcpConnector { policy: Arc::new(net_policy(&args)) });
    let (tx, rx) = mpsc::channel(16);
    let control = ControlHandle { tx };
    let tracer = match crate::trace::Tracer::new(args.trace.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            complain(&format!("qsslsim: cannot write trace: {e}"));
            return 1;
        }
    };
    // Handlers first, so a signal right after READY still shuts down cleanly.
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            complain(&format!("qsslsim: cannot install signal handlers: {e}"));
            return 1;
        }
    };
    // The network endpoints listen before READY, so a client may connect as soon as it is seen.
    let (sessions_tx, sessions_rx) = mpsc::channel(4);
    let mut listening = Vec::new();
    let gate = crate::net_port::Gate::default();
    let baud = args.baud.unwrap_or(qsslsim_modem::settings::DEFAULT_BAUD_RATE);
    for (via, addr) in &endpoints {
        let listener = match crate::net_port::bind(*addr) {
            Ok(l) => l,
            Err(e) => {
                complain(&format!("qsslsim: --{via} {addr}: cannot listen: {e}"));
                return 1;
            }
        };
        let bound = listener.local_addr().unwrap_or(*addr);
        info!(endpoint = %bound, "--{via}: serving the AT port");
        listening.push(format!("{} {bound}", via.banner()));
        tokio::spawn(crate::net_port::serve(listener, *via, gate.clone(), sessions_tx.clone(), baud));
    }
    drop(sessions_tx);
    let loop_task = tokio::spawn(runtime::run_with_network(modem, pty, connector, rx, tracer, sessions_rx));
    let control_task = match &args.control {
        Some(path) => match crate::control::listen(path, control.clone()) {
            Ok(task) => {
                if let Ok(meta) = std::fs::symlink_metadata(path) {
                    publish(Owned::Socket { path: path.clone(), id: (meta.dev(), meta.ino()) });
                }
                Some(task)
            }
            Err(e) => {
                complain(&format!("qsslsim: cannot serve the control socket at {}: {e}", path.display()));
                control.shutdown().await;
                return 1;
            }
        },
        None => None,
    };
    let readers = tokio::spawn(watch_readers(slave.clone()));
    say(&format!("READY {}", slave.display()));
    for line in &listening {
        say(line);
    }
    info!(pty = %slave.display(), "ready");
    if let Some(peers) = demo_peers {
        let shown = args.link.as_ref().unwrap_or(&slave).display().to_string();
        let control = args.control.as_ref().map(|p| p.display().to_string());
        let urls: Vec<String> = listening
            .iter()
            .filter_map(|line| line.split_once(' '))
            .map(|(kind, addr)| format!("{}://{addr}", if kind == "TCP" { "socket" } else { "rfc2217" }))
            .collect();
        say(&demo_text(&shown, peers, control.as_deref(), &urls));
    }
    #[cfg(debug_assertions)]
    if std::env::var_os("QSSLSIM_TEST_PANIC_AFTER_READY").is_some() {
        // For tests of the clean-up on panic (debug builds only).
        panic!("QSSLSIM_TEST_PANIC_AFTER_READY is set");
    }
    let mut loop_task = loop_task;
    let code = tokio::select! {
        _ = signals.wait() => {
            info!("shutting down");
            log_dropped_connections(&control).await;
            control.shutdown().await;
            let _ = (&mut loop_task).await;
            0
        }
        // The loop never ends by itself: if it does, the port is gone and CI must not hang.
        ended = &mut loop_task => {
            error!(?ended, "the event loop ended unexpectedly");
            complain(&format!("qsslsim: the event loop ended unexpectedly: {ended:?}"));
            1
        }
    };
    if let Some(task) = control_task {
        task.abort();
    }
    readers.abort();
    code
}

/// `--keylog FILE` (or `SSLKEYLOGFILE`): open FILE (created with mode 0600, appended to) and
/// make it the key log of every TLS session from now on. A file that cannot be opened stops
/// the daemon (policy `keylog-open`): a capture the user cannot decrypt later is worse than
/// no start.
pub fn start_keylog(path: &Path) -> Result<(), String> {
    let writer = qsslsim_tls::keylog::KeyLogWriter::open(path)
        .map_err(|e| format!("cannot open the TLS key log {}: {e}", path.display()))?;
    qsslsim_tls::keylog::install(writer)
        .map(|_| ())
        .map_err(|first| format!("a TLS key log is already open ({})", first.path().display()))
}

/// `--tcp` and `--rfc2217` endpoints, in that order.
fn network_endpoints(args: &RunArgs) -> Vec<(crate::net_port::Via, std::net::SocketAddr)> {
    use crate::net_port::Via;
    let tcp = args.tcp.iter().map(|a| (Via::Tcp, *a));
    tcp.chain(args.rfc2217.iter().map(|a| (Via::Rfc2217, *a))).collect()
}

/// Log (at info) each connection the shutdown drops, so `-v` says what a host lost.
async fn log_dropped_connections(control: &ControlHandle) {
    let Some(state) = control.inspect(|m| m.snapshot()).await else { return };
    for socket in state["sockets"].as_array().into_iter().flatten() {
        info!(
            socket = %socket["id"],
            state = %socket["state"],
            "shutdown: closing socket {} (its connection is dropped)",
            socket["id"]
        );
    }
}

/// How often the pty's openers are counted.
const READER_SCAN: Duration = Duration::from_secs(1);

/// Warn once per set of processes when more than one other process has the pty open: two
/// terminal programs on one pty each get part of the output, silently. Found by scanning
/// `/proc/*/fd`, which shows only processes this user may inspect (all of them as root).
async fn watch_readers(slave: PathBuf) {
    let mut warned: Vec<u32> = Vec::new();
    loop {
        tokio::time::sleep(READER_SCAN).await;
        let path = slave.clone();
        let Ok(pids) = tokio::task::spawn_blocking(move || pty_holders(&path)).await else { return };
        if pids.len() > 1 {
            if pids != warned {
                let list = pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                warn!(
                    pty = %slave.display(),
                    "{} processes have the pty open (pids {list}): each reads part of the module's \
                     output; close all but one",
                    pids.len()
                );
            }
            warned = pids;
        } else {
            warned.clear();
        }
    }
}

/// The processes other than this one with `slave` open, in pid order.
pub fn pty_holders(slave: &Path) -> Vec<u32> {
    let me = std::process::id();
    let Ok(procs) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut pids: Vec<u32> = procs
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .map(|fds| fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == slave)))
                .unwrap_or(false)
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// A line on stdout; a closed stdout is not the daemon's problem.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// A line on stderr; a closed stderr is not the daemon's problem.
fn complain(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The log's writer: stderr, with write errors ignored (tracing-subscriber would otherwise
/// report them with `eprintln!`, which panics on a closed stderr).
#[derive(Clone, Copy, Default)]
pub struct QuietStderr;

impl Write for QuietStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for QuietStderr {
    type Writer = QuietStderr;
    fn make_writer(&'a self) -> QuietStderr {
        QuietStderr
    }
}

/// Something this daemon put on the file system.
enum Owned {
    /// `--link`: a symlink to our pty.
    Link { path: PathBuf, target: PathBuf },
    /// `--control`: the socket inode we bound.
    Socket { path: PathBuf, id: (u64, u64) },
    /// `--link`'s lock file (inode), locked for our life by `_lock`.
    Lock { path: PathBuf, id: (u64, u64), _lock: nix::fcntl::Flock<std::fs::File> },
}

impl Owned {
    /// Remove it if it is still ours (a daemon started with `--force` may have taken it).
    fn remove(self) {
        let same_inode = |path: &Path, id: (u64, u64)| {
            std::fs::symlink_metadata(path).is_ok_and(|m| (m.dev(), m.ino()) == id)
        };
        match self {
            Owned::Link { path, target } => {
                if std::fs::read_link(&path).is_ok_and(|t| t == target) {
                    let _ = std::fs::remove_file(&path);
                }
            }
            Owned::Socket { path, id } | Owned::Lock { path, id, .. } => {
                if same_inode(&path, id) {
                    let _ = std::fs::remove_file(&path);
                }
                // A lock is released when its file closes, after the unlink.
            }
        }
    }
}

/// What to remove on the way out, newest last.
static PUBLISHED: Mutex<Vec<Owned>> = Mutex::new(Vec::new());

fn publish(owned: Owned) {
    PUBLISHED.lock().unwrap_or_else(|e| e.into_inner()).push(owned);
}

/// Remove everything published, newest first. Idempotent.
fn clean_up() {
    // `try_lock`: never wait here (a panic hook may run while this thread holds the lock).
    let owned = match PUBLISHED.try_lock() {
        Ok(mut list) => std::mem::take(&mut *list),
        Err(std::sync::TryLockError::Poisoned(e)) => std::mem::take(&mut *e.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for item in owned.into_iter().rev() {
        item.remove();
    }
}

/// Removes what was published when dropped: on return and when a panic unwinds.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        clean_up();
    }
}

/// A panic hook that removes what was published when the panic ends the process: a panic on
/// the main thread (it unwinds out of `main`), or any panic in a build that aborts on panic.
/// Panics in tokio tasks are caught by tokio and handled (an event loop that dies makes
/// `run` return 1, which cleans up).
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        if cfg!(panic = "abort") || std::thread::current().name() == Some("main") {
            clean_up();
        }
    }));
}

/// `PATH.lock` for a link at `PATH`.
fn lock_path(link: &Path) -> PathBuf {
    let mut name = link.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    link.with_file_name(name)
}

/// Take `--link`'s lock and check what is at the link: nothing, or a symlink into /dev/pts/.
/// With the lock held, such a symlink is a stale one (its daemon is gone).
fn claim_link(link: &Path, force: bool) -> Result<(), String> {
    use nix::fcntl::{Flock, FlockArg};
    let lock = lock_path(link);
    let shown = link.display();
    let mut attempts = 0;
    let (file, id) = loop {
        attempts += 1;
        if attempts > 10 {
            return Err(format!(
                "--link {shown}: cannot take the lock {} (it keeps changing)",
                lock.display()
            ));
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&lock)
            .map_err(|e| format!("--link {shown}: cannot open the lock {}: {e}", lock.display()))?;
        let meta = file.metadata().map_err(|e| format!("--link {shown}: {}: {e}", lock.display()))?;
        let holder = std::fs::read_to_string(&lock).unwrap_or_default();
        if !meta.is_file() || !(holder.is_empty() || holder.starts_with("qsslsim ")) {
            return Err(format!(
                "--link {shown}: {} is there and is not a qsslsim lock; refusing to touch it",
                lock.display()
            ));
        }
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => {
                // The file we locked must still be the one at the path (a daemon leaving
                // removes its lock file while holding it).
                let current = std::fs::symlink_metadata(&lock).ok().map(|m| (m.dev(), m.ino()));
                if current == Some((meta.dev(), meta.ino())) {
                    break (locked, (meta.dev(), meta.ino()));
                }
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) if force => {
                warn!(link = %shown, holder = holder.trim(), "--force: taking the link over from a running daemon");
                let _ = std::fs::remove_file(&lock);
            }
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                return Err(format!(
                    "--link {shown} is in use by a running qsslsim ({}, lock {}); stop it, choose another path, \
                     or pass --force to take it over",
                    holder.trim().strip_prefix("qsslsim ").map_or("pid unknown".into(), |p| format!("pid {p}")),
                    lock.display()
                ));
            }
            Err((_, e)) => return Err(format!("--link {shown}: cannot lock {}: {e}", lock.display())),
        }
    };
    let mut locked = file;
    let _ = locked.set_len(0);
    let _ = writeln!(&mut *locked, "qsslsim {}", std::process::id());
    publish(Owned::Lock { path: lock.clone(), id, _lock: locked });
    match std::fs::symlink_metadata(link) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("--link {shown}: {e}")),
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(link).unwrap_or_default();
            if target.starts_with("/dev/pts/") {
                Ok(())
            } else {
                Err(format!(
                    "--link {shown} is a symlink to {}, not one qsslsim made; refusing to replace it",
                    target.display()
                ))
            }
        }
        Ok(meta) => Err(format!(
            "--link {shown}: a {} is there; refusing to replace it (qsslsim replaces only its own \
             symlinks into /dev/pts/)",
            kind_of(&meta)
        )),
    }
}

/// Point `link` at the pty, replacing a stale link atomically (symlink beside it, rename).
fn publish_link(link: &Path, pty: &Path) -> std::io::Result<()> {
    let mut name = link.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".new-{}", std::process::id()));
    let fresh = link.with_file_name(name);
    let _ = std::fs::remove_file(&fresh);
    std::os::unix::fs::symlink(pty, &fresh)?;
    if let Err(e) = std::fs::rename(&fresh, link) {
        let _ = std::fs::remove_file(&fresh);
        return Err(e);
    }
    publish(Owned::Link { path: link.to_path_buf(), target: pty.to_path_buf() });
    Ok(())
}

/// What is at `--control`: nothing or a stale socket (fine), a live daemon's socket (fine only
/// with `--force`), anything else (refused).
async fn check_control(path: &Path, force: bool) -> Result<(), String> {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("--control {shown}: {e}")),
        Ok(meta) => meta,
    };
    if !meta.file_type().is_socket() {
        return Err(format!("--control {shown}: a {} is there; refusing to replace it", kind_of(&meta)));
    }
    let probe = tokio::time::timeout(Duration::from_secs(2), tokio::net::UnixStream::connect(path)).await;
    match probe {
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()), // stale
        Ok(Err(e)) if e.kind() != std::io::ErrorKind::WouldBlock => Err(format!("--control {shown}: {e}")),
        // It answered, or it is too busy to (a full backlog): a live daemon.
        _ if force => {
            warn!(control = %shown, "--force: taking the control socket over from a running daemon");
            Ok(())
        }
        _ => Err(format!(
            "--control {shown} is served by a running daemon; stop it, choose another path, or pass \
             --force to take it over"
        )),
    }
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_file() {
        "regular file"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

/// SIGINT, SIGTERM and SIGHUP (the terminal closed), installed before the pty is published.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
            _ = self.hup.recv() => {},
        }
    }
}
