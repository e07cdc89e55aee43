//! V.25ter basic commands: `ATE`, `ATV`, `ATQ`, `ATI`, `ATZ`, `AT&F`, `AT&W`, `AT&D`, `ATH`. Each takes
//! one digit (absent = 0) within its range; the macro below writes the parse for all of them.

use qsslsim_at::{Command, Framing};

use super::args::basic_value;
use super::{AtCommand, Family, Refusal};
use crate::modem::{Flow, Modem};
use crate::settings::{Settings, DTR_CLOSE};

/// A basic command with one digit from 0 to `max`, applied by `body`.
macro_rules! basic_command {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, |$m:ident, $v:ident| $body:block) => {
        $(#[$doc])*
        pub struct $name(i64);

        impl AtCommand for $name {
            const FAMILY: Family = Family::General;
            fn parse(cmd: &Command) -> Result<Self, Refusal> {
                basic_value(cmd, $max).map($name)
            }
            #[allow(unused_variables)]
            fn apply(self, $m: &mut Modem) -> Result<Flow, Refusal> {
                let $v = self.0;
                $body
                Ok(Flow::Done)
            }
        }
    };
}

/// The factory settings of the port (echo on, verbose codes, CMEE 1, AT&D1).
fn restore_port_defaults(m: &mut Modem) {
    let defaults = Settings::default();
    m.settings.echo = defaults.echo;
    m.settings.dtr_mode = defaults.dtr_mode;
    m.out.framing = Framing::default();
}

basic_command!(
    /// `ATE<n>`: echo off/on.
    Echo, max = 1, |m, v| { m.settings.echo = v == 1; }
);
basic_command!(
    /// `ATV<n>`: numeric/verbose result codes.
    Verbose, max = 1, |m, v| { m.out.framing.verbose = v == 1; }
);
basic_command!(
    /// `ATQ0` only: result codes are never suppressed.
    Quiet, max = 0, |m, v| {}
);
basic_command!(
    /// `ATI`: manufacturer, model, revision.
    Identify, max = 0, |m, v| {
        let (maker, model, rev) = (m.cfg.manufacturer.clone(), m.cfg.model.clone(), m.cfg.revision.clone());
        m.info(&maker);
        m.info(&model);
        m.info(&format!("Revision: {rev}"));
    }
);
basic_command!(
    /// `ATZ`: the port's settings back to their defaults.
    Reset, max = 0, |m, v| { restore_port_defaults(m); }
);
basic_command!(
    /// `AT&F`: factory settings.
    Factory, max = 0, |m, v| { restore_port_defaults(m); }
);
basic_command!(
    /// `AT&W` is accepted; settings are not kept across a restart anyway.
    Store, max = 0, |m, v| {}
);
basic_command!(
    /// `AT&D<n>`: what dropping DTR does in a data mode.
    DtrMode, max = DTR_CLOSE as i64, |m, v| { m.settings.dtr_mode = v as u8; }
);
basic_command!(
    /// `ATH`/`ATH0`: hang up. The module has no voice or circuit-switched data call to end, and
    /// `ATH` does not touch sockets, transparent or not (policy `ath`); a PPP call held in
    /// command mode (after `+++`) ends, its context deactivated. Answers `OK`.
    Hangup, max = 0, |m, v| { crate::ppp::hang_up(m, "ATH", false); }
);
