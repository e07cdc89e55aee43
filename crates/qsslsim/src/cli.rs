//! The command line: `qsslsim [OPTIONS]` runs the emulator; `--help` is the manual.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::network::resolve::{ResolveRule, RouteRule};
use crate::network::NetMode;

#[derive(Debug, Parser)]
#[command(
    name = "qsslsim",
    version,
    about = "Emulates an LTE module's SSL AT commands on a pseudo-terminal, with real TLS behind it.",
    long_about = "Emulates an LTE module's SSL AT commands (AT+QSSLCFG, AT+QSSLOPEN, AT+QSSLSEND, \
AT+QSSLRECV, AT+QSSLSTATE, AT+QSSLCLOSE and the commands around them) on a pseudo-terminal.\n\n\
The first line on stdout is `READY <pty path>` once the port accepts input (then `TCP ADDR:PORT` /\n\
`RFC2217 ADDR:PORT` for each network endpoint); logs go to stderr.\n\
Open the pty with any serial program (picocom --omap delbs <path>, minicom -o -D <path>, pyserial),\n\
or reach the same AT port over TCP with --tcp / --rfc2217 (pyserial socket:// and rfc2217:// URLs)."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Sub>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Run the built-in peer on loopback: TLS with the test PKI (default), plain TCP or UDP
    /// (--proto); echo, sink, source, http.
    Peer(crate::peer::PeerArgs),
    /// Talk to a running daemon's control socket: faults, DTR, clock, state, events.
    #[command(after_help = crate::ctl::fault_help())]
    Ctl(crate::ctl::CtlArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TimingProfile {
    /// Minimal delays; URCs still come in writes of their own.
    #[default]
    Fast,
    /// Delays like hardware.
    Realistic,
    /// Only the gap that keeps a URC in a write of its own, even after network events (for
    /// test suites that want speed and read whole writes).
    Instant,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Also start the built-in TLS echo peer, route the maker's example addresses
    /// (192.0.2.2:8010 and :8011) to it, preload the test CA as UFS:cacert.pem and
    /// RAM:cacert.pem, and print the flow to type. Plain TCP and UDP echo peers answer on the
    /// maker's TCP/IP note examples 220.180.239.212:8009 and 10.7.89.10:6969.
    #[arg(long)]
    pub demo: bool,

    /// Make a symlink to the pty at PATH (removed on exit). Replaces only a stale symlink
    /// into /dev/pts/; PATH.lock marks it taken while the daemon runs.
    #[arg(long, value_name = "PATH")]
    pub link: Option<PathBuf>,

    /// Take over the --link and --control paths of a running qsslsim instead of refusing
    /// (files and directories that are not qsslsim's are still never replaced).
    #[arg(long)]
    pub force: bool,

    /// Map a host name to an address (repeatable).
    #[arg(long, value_name = "NAME=ADDR")]
    pub resolve: Vec<ResolveRule>,

    /// Send connections for one address and port to another (repeatable).
    #[arg(long, value_name = "ADDR:PORT=ADDR:PORT")]
    pub route: Vec<RouteRule>,

    /// sandbox: only loopback after mapping, names only from --resolve; host: the real network.
    #[arg(long, value_enum, default_value_t = NetMode::Sandbox)]
    pub net: NetMode,

    /// Preload a module file from a host file, e.g. UFS:cacert.pem=certs/ca.pem (repeatable).
    #[arg(long, value_name = "NAME=PATH")]
    pub file: Vec<String>,

    /// Also serve the AT port as a raw TCP stream on ADDR:PORT (pyserial's
    /// `socket://ADDR:PORT`; repeatable; port 0 picks one, printed as `TCP ADDR:PORT` after
    /// READY). Loopback only unless --listen-any. One network client at a time (a second one
    /// is closed at once); while it is connected it is the AT port and the pty is set aside.
    #[arg(long, value_name = "ADDR:PORT")]
    pub tcp: Vec<std::net::SocketAddr>,

    /// Also serve the AT port as RFC 2217 (Telnet COM-PORT-OPTION: DTR, RTS, baud rate, purge)
    /// on ADDR:PORT (pyserial's `rfc2217://ADDR:PORT`; repeatable; printed as `RFC2217
    /// ADDR:PORT` after READY). DTR off from the client is a DTR drop (AT&D). Same rules as
    /// --tcp.
    #[arg(long, value_name = "ADDR:PORT")]
    pub rfc2217: Vec<std::net::SocketAddr>,

    /// Let --tcp and --rfc2217 listen on addresses that are not loopback (0.0.0.0 in a
    /// container, say). Without it they are refused: whoever reaches the port drives the
    /// module, with no authentication.
    #[arg(long)]
    pub listen_any: bool,

    /// Serve the control socket (JSON lines, mode 0600) at PATH; see `qsslsim ctl`.
    #[arg(long, value_name = "PATH")]
    pub control: Option<PathBuf>,

    /// Load a scenario file (TOML rules: triggers mapped to faults).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,

    /// Write a JSON-lines trace (bytes each way, URCs, socket events, faults, failure causes).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// The AT port name AT+QSSLSTATE reports (usbat, uart1, usbmodem, uart2).
    #[arg(long, default_value = "uart1")]
    pub at_port: String,

    /// The model name ATI reports.
    #[arg(long, default_value = "EG915Q-GL")]
    pub model: String,

    /// Guard time of the +++ escape, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub guard_time: u64,

    /// Timing profile.
    #[arg(long, value_enum, default_value_t = TimingProfile::Fast)]
    pub timing: TimingProfile,

    /// Pace output to the host like a UART at N baud (10 bits per byte).
    #[arg(long, value_name = "N")]
    pub baud: Option<u32>,

    /// The network refuses to activate a PDP context without an APN (AT+QIACT: ERROR, 573).
    #[arg(long)]
    pub apn_required: bool,

    /// The IMEI AT+CGSN/AT+GSN print (15 digits, valid check digit).
    #[arg(long, default_value = "861536030196001", value_parser = imei)]
    pub imei: String,

    /// The SIM's IMSI AT+CIMI prints.
    #[arg(long, default_value = "460001234567890", value_parser = imsi)]
    pub imsi: String,

    /// Start with no SIM in the holder (AT+CPIN?: +CME ERROR: 10; never registers).
    #[arg(long)]
    pub no_sim: bool,

    /// Lock the SIM with this PIN (AT+CPIN?: +CPIN: SIM PIN until AT+CPIN="<pin>").
    #[arg(long, value_name = "PIN")]
    pub sim_pin: Option<String>,

    /// The SIM's PUK: after three wrong PINs, AT+CPIN="<puk>","<new pin>" unblocks the card.
    #[arg(long, value_name = "PUK", default_value = qsslsim_modem::sim::DEFAULT_PUK)]
    pub sim_puk: String,

    /// Print the module's boot output (RDY, +CFUN: 1, APP RDY, +CPIN: READY, +QUSIM: 1, +QIND: SMS DONE)
    /// when the daemon starts, as a module does after power-on.
    #[arg(long)]
    pub boot_urcs: bool,

    /// After AT+QPOWD, power the module on again by itself after MS milliseconds.
    #[arg(long, value_name = "MS")]
    pub power_on_after: Option<u64>,

    /// The SIM's ICCID AT+QCCID prints.
    #[arg(long, default_value = "89860012345678901234", value_parser = iccid)]
    pub iccid: String,

    /// The position the simulated GNSS receiver fixes after AT+QGPS=1: decimal degrees
    /// (north/east positive) and metres, LAT,LON[,ALT]. Default: 51.47788,-0.00147,46.
    #[arg(long, value_name = "LAT,LON[,ALT]", value_parser = gnss_fix, allow_hyphen_values = true)]
    pub gnss_fix: Option<qsslsim_modem::gnss::GnssPosition>,

    /// Offer TLS 1.3 as well (the real module stops at TLS 1.2).
    #[arg(long)]
    pub tls13: bool,

    /// Fail opens whose SSL settings rustls cannot honour, instead of connecting with what it has.
    #[arg(long)]
    pub strict_tls: bool,

    /// Append the secrets of every TLS session (either engine) to FILE, in the NSS key-log
    /// format Wireshark reads (mode 0600). Without it, the SSLKEYLOGFILE environment
    /// variable names the file when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,

    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl RunArgs {
    /// The key log file: `--keylog`, else `SSLKEYLOGFILE` when set and not empty.
    pub fn keylog_path(&self) -> Option<PathBuf> {
        keylog_path(self.keylog.as_ref())
    }

    /// `--file` entries as (module name, host path).
    pub fn files(&self) -> Result<Vec<(String, PathBuf)>, String> {
        self.file
            .iter()
            .map(|f| match f.split_once('=') {
                Some((name, path)) if !name.is_empty() && !path.is_empty() => {
                    Ok((name.to_string(), PathBuf::from(path)))
                }
                _ => Err(format!("--file {f:?}: expected NAME=PATH, e.g. UFS:cacert.pem=certs/ca.pem")),
            })
            .collect()
    }
}

/// The environment variable that names the key log when `--keylog` is not given (the one
/// browsers, curl and Wireshark's documentation use).
pub const KEYLOG_ENV: &str = "SSLKEYLOGFILE";

/// `flag`, else `SSLKEYLOGFILE` when set and not empty.
pub fn keylog_path(flag: Option<&PathBuf>) -> Option<PathBuf> {
    flag.cloned().or_else(|| std::env::var_os(KEYLOG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
}

fn imei(s: &str) -> Result<String, String> {
    qsslsim_modem::identity::check_imei(s).map(|()| s.to_string())
}

fn imsi(s: &str) -> Result<String, String> {
    qsslsim_modem::identity::check_imsi(s).map(|()| s.to_string())
}

fn iccid(s: &str) -> Result<String, String> {
    qsslsim_modem::identity::check_iccid(s).map(|()| s.to_string())
}

fn gnss_fix(s: &str) -> Result<qsslsim_modem::gnss::GnssPosition, String> {
    qsslsim_modem::gnss::GnssPosition::parse(s)
}
