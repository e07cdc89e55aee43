//! `qsslsim`: parse the command line, set up logging on stderr, run the daemon.

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
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour).init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = match cli.command {
        Some(Sub::Peer(args)) => rt.block_on(qsslsim::peer::run(args)),
        Some(Sub::Ctl(args)) => rt.block_on(qsslsim::ctl::run(args)),
        None => rt.block_on(qsslsim::daemon::run(cli.run)),
    };
    std::process::exit(code);
}
