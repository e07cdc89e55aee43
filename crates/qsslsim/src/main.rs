//! `qsslsim`: parse the command line, set up logging on stderr (through a writer that ignores
//! a closed stderr), install the clean-up panic hook, run the daemon.

use std::io::Write;

use clap::Parser;
use qsslsim::cli::{Cli, Sub};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = Cli::parse();
    let level = match cli.run.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let colour =
        std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(qsslsim::daemon::QuietStderr)
        .with_ansi(colour)
        .init();
    qsslsim::daemon::install_panic_hook();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "qsslsim: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match cli.command {
        Some(Sub::Peer(args)) => rt.block_on(qsslsim::peer::run(args)),
        Some(Sub::Ctl(args)) => rt.block_on(qsslsim::ctl::run(args)),
        None => rt.block_on(qsslsim::daemon::run(cli.run)),
    };
    std::process::exit(code);
}
