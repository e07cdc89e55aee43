//! Settings the maker saves to non-volatile memory as soon as they are written, so they survive
//! `AT+CFUN=1,1`, `AT+QPOWD` and the `module_restart` fault: the `AT+QCFG` items host stacks
//! send (`"band"`, `"nwscanmode"`, `"nwscanseq"`, `"iotopmode"`), `AT+QURCCFG="urcport"` and the
//! `AT+CPSMS` and `AT+CEDRXS` settings, the `AT+QDSIM` slot and `AT+QCFG="cmux/urcport"`.

/// The stored values, in the text the read forms print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleCfg {
    /// `"band"`: GSM, LTE and NB/Cat-M band masks, hex without `0x`.
    pub band: [String; 3],
    /// `"nwscanmode"`: 0 automatic, 1 GSM only, 3 LTE only.
    pub nwscanmode: u8,
    /// `"nwscanseq"`: the search order as digits (`00` automatic, `01` GSM, `02` Cat-M, ...).
    pub nwscanseq: String,
    /// `"iotopmode"`: 0 Cat-M, 1 NB-IoT, 2 both.
    pub iotopmode: u8,
    /// `AT+QURCCFG="urcport"`: `usbat`, `usbmodem` or `uart1`.
    pub urcport: String,
    /// `AT+CPSMS`: the power saving mode settings.
    pub psm: crate::psm::PsmSettings,
    /// `AT+QDSIM`: the (U)SIM slot in use, 0 (SIM1) or 1 (SIM2) (policy `qdsim`).
    pub sim_slot: u8,
    /// `"cmux/urcport"`: the CMUX channel URCs go to, 0-4 (policy `cmux-urcport`).
    pub cmux_urcport: u8,
    /// `AT+CEDRXS`: the eDRX settings.
    pub edrx: crate::edrx::EdrxSettings,
}

impl ModuleCfg {
    /// Factory values; the URC port is the AT port the daemon serves (policy `urcport`).
    pub fn new(at_port: &str) -> Self {
        let urcport = if URC_PORTS.contains(&at_port) { at_port } else { "uart1" };
        ModuleCfg {
            band: ["f".into(), "400a0e189f".into(), "a0e189f".into()],
            nwscanmode: 0,
            nwscanseq: "00".into(),
            iotopmode: 2,
            urcport: urcport.into(),
            psm: crate::psm::PsmSettings::default(),
            sim_slot: 0,
            cmux_urcport: 0,
            edrx: crate::edrx::EdrxSettings::default(),
        }
    }
}

/// The ports `AT+QURCCFG="urcport"` accepts.
pub const URC_PORTS: &[&str] = &["usbat", "usbmodem", "uart1"];
