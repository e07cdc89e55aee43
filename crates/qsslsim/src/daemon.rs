//! Starting the emulator from its command line: build the module (preloaded files, identity,
//! timing, TLS policy), open the pty, publish it (`--link`, the `READY` line), run the event
//! loop until SIGINT/SIGTERM, and clean up.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::{Modem, ModemConfig, Timing};
use tokio::sync::mpsc;
use tracing::{error, info};

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
        },
        tls: qsslsim_tls::TlsPolicy {
            allow_tls13: args.tls13,
            strict: args.strict_tls,
            ..Default::default()
        },
        baud: args.baud,
        ..ModemConfig::default()
    };
    let mut modem = Modem::new(cfg, runtime::now(), std::time::SystemTime::now());
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

/// `--demo`: start the echo peer and extend the arguments so the maker's flow reaches it.
async fn start_demo(args: &mut RunArgs) -> Result<std::net::SocketAddr, String> {
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("demo peer: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(crate::peer::serve(
        listener,
        crate::peer::server_config(args.tls13),
        crate::peer::PeerMode::Echo,
    ));
    for from in DEMO_ADDRESSES {
        args.route.push(format!("{from}={addr}").parse()?);
    }
    // The name leads to the maker's example address, so the routes above apply to it too.
    args.resolve.push("peer.qsslsim.test=192.0.2.2".parse()?);
    Ok(addr)
}

fn demo_text(link: &str, peer: std::net::SocketAddr) -> String {
    format!(
        "qsslsim demo: TLS echo peer on {peer}, reachable as 192.0.2.2:8010 and 192.0.2.2:8011 (also by the name peer.qsslsim.test); test CA preloaded as UFS:cacert.pem and RAM:cacert.pem.
Open the port:   minicom -D {link}    (or: picocom {link})
Then type (the maker's flow):
  AT+QICSGP=1,1,\"UNINET\",\"\",\"\",1
  AT+QIACT=1
  AT+QIACT?
  AT+QSSLCFG=\"sslversion\",1,1
  AT+QSSLCFG=\"ciphersuite\",1,0X0035
  AT+QSSLCFG=\"seclevel\",1,1
  AT+QSSLCFG=\"cacert\",1,\"RAM:cacert.pem\"
  AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8010,0        (OK, then +QSSLOPEN: 4,0)
  AT+QSSLSEND=4                                 (> then type Test data from SSL, then Ctrl+Z)
  AT+QSSLRECV=4,1500                            (after +QSSLURC: \"recv\",4)
  AT+QSSLSTATE
  AT+QSSLCLOSE=4
  AT+QSSLOPEN=1,1,4,\"192.0.2.2\",8011,2        (CONNECT: type, it echoes; wait 1 s, +++, wait 1 s)
  AT+QSSLCLOSE=4
  AT+QIDEACT=1
Stop with Ctrl+C."
    )
}

/// Run the daemon until a signal; returns the process exit code.
pub async fn run(mut args: RunArgs) -> i32 {
    let demo_peer = if args.demo {
        match start_demo(&mut args).await {
            Ok(addr) => Some(addr),
            Err(e) => {
                eprintln!("qsslsim: {e}");
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
            eprintln!("qsslsim: {e}");
            return 2;
        }
    };
    let pty = match Pty::open() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("qsslsim: cannot open a pty: {e}");
            return 1;
        }
    };
    let slave = pty.path().to_path_buf();
    if let Some(link) = &args.link {
        let _ = std::fs::remove_file(link);
        if let Err(e) = std::os::unix::fs::symlink(&slave, link) {
            eprintln!("qsslsim: cannot link {} -> {}: {e}", link.display(), slave.display());
            return 1;
        }
    }
    let connector = Arc::new(TcpConnector { policy: Arc::new(net_policy(&args)) });
    let (tx, rx) = mpsc::channel(16);
    let control = ControlHandle { tx };
    let tracer = match crate::trace::Tracer::new(args.trace.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("qsslsim: cannot write trace: {e}");
            return 1;
        }
    };
    // Handlers first, so a signal right after READY still shuts down cleanly.
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("qsslsim: cannot install signal handlers: {e}");
            return 1;
        }
    };
    let loop_task = tokio::spawn(runtime::run(modem, pty, connector, rx, tracer));
    let control_task = match &args.control {
        Some(path) => match crate::control::listen(path, control.clone()) {
            Ok(task) => Some(task),
            Err(e) => {
                eprintln!("qsslsim: cannot serve the control socket at {}: {e}", path.display());
                control.shutdown().await;
                return 1;
            }
        },
        None => None,
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "READY {}", slave.display());
        let _ = out.flush();
    }
    info!(pty = %slave.display(), "ready");
    if let Some(peer) = demo_peer {
        let shown = args.link.as_ref().unwrap_or(&slave).display().to_string();
        println!("{}", demo_text(&shown, peer));
    }
    let mut loop_task = loop_task;
    let code = tokio::select! {
        _ = signals.wait() => {
            info!("shutting down");
            control.shutdown().await;
            let _ = (&mut loop_task).await;
            0
        }
        // The loop never ends by itself: if it does, the port is gone and CI must not hang.
        ended = &mut loop_task => {
            error!(?ended, "the event loop ended unexpectedly");
            eprintln!("qsslsim: the event loop ended unexpectedly: {ended:?}");
            1
        }
    };
    if let Some(task) = control_task {
        task.abort();
    }
    for path in args.link.iter().chain(args.control.iter()) {
        let _ = std::fs::remove_file(path);
    }
    code
}

/// SIGINT and SIGTERM, installed before the pty is published.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => {},
            _ = self.int.recv() => {},
        }
    }
}
