//! The TCP/IP family's settings: the `AT+QICFG` items (one table of names, value ranges and
//! factory values) and `AT+QISDE`. They take effect at once and a restart forgets them, as
//! the maker's notes say. Items that change what the host sees are read through the typed
//! accessors below; the others are accepted, kept and reported (policy `qicfg-items`).

/// One `AT+QICFG` item: its name and, per value, the allowed range and the factory value.
pub struct IpCfgItem {
    pub name: &'static str,
    pub values: &'static [(i64, i64, i64)],
}

/// Every item, in the order `AT+QICFG=?` lists them (the order a module of this family prints).
pub const IP_CFG_ITEMS: &[IpCfgItem] = &[
    IpCfgItem { name: "transpktsize", values: &[(1, 1460, 1024)] },
    IpCfgItem { name: "transwaittm", values: &[(0, 20, 2)] },
    IpCfgItem { name: "dataformat", values: &[(0, 1, 0), (0, 1, 0)] },
    IpCfgItem { name: "viewmode", values: &[(0, 1, 0)] },
    IpCfgItem { name: "tcp/retranscfg", values: &[(3, 20, 12), (5, 1000, 600)] },
    IpCfgItem { name: "dns/cache", values: &[(0, 1, 1)] },
    IpCfgItem { name: "qisend/timeout", values: &[(0, 3600, 0)] },
    IpCfgItem { name: "passiveclosed", values: &[(0, 1, 0)] },
    IpCfgItem { name: "udp/readmode", values: &[(0, 1, 0)] },
    IpCfgItem { name: "udp/sendmode", values: &[(0, 1, 0)] },
    IpCfgItem { name: "tcp/accept", values: &[(0, 1, 1)] },
    IpCfgItem { name: "recvind", values: &[(0, 1, 0)] },
    IpCfgItem { name: "tcp/keepalive", values: &[(0, 1, 0), (1, 120, 1), (25, 100, 25), (3, 10, 3)] },
    IpCfgItem { name: "recv/buffersize", values: &[(10240, 524288, 10240)] },
    IpCfgItem { name: "window/scale", values: &[(0, 1, 0)] },
    IpCfgItem { name: "send/buffersize", values: &[(1460, 10240, 10240)] },
];

/// The `AT+QISDE` factory value: data typed at the `>` prompt is echoed (policy `qisde`).
pub const QISDE_DEFAULT: bool = true;

/// The current values of every item, and `AT+QISDE`.
#[derive(Debug, Clone)]
pub struct IpCfg {
    values: Vec<Vec<i64>>,
    /// `AT+QISDE`: echo data typed after `AT+QISEND`'s prompt.
    pub send_echo: bool,
}

impl Default for IpCfg {
    fn default() -> Self {
        IpCfg {
            values: IP_CFG_ITEMS.iter().map(|i| i.values.iter().map(|v| v.2).collect()).collect(),
            send_echo: QISDE_DEFAULT,
        }
    }
}

impl IpCfg {
    /// The item called `name` (case-insensitive) and its index.
    pub fn item(name: &str) -> Option<(usize, &'static IpCfgItem)> {
        IP_CFG_ITEMS.iter().enumerate().find(|(_, i)| i.name.eq_ignore_ascii_case(name))
    }

    pub fn values(&self, index: usize) -> &[i64] {
        &self.values[index]
    }

    /// Set the first `new.len()` values of item `index` (ranges already checked).
    pub fn set(&mut self, index: usize, new: &[i64]) {
        self.values[index][..new.len()].copy_from_slice(new);
    }

    fn get(&self, name: &str) -> &[i64] {
        let (index, _) = Self::item(name).expect("item in IP_CFG_ITEMS");
        &self.values[index]
    }

    /// `"recvind"` 1: `+QIURC: "recv",<id>,<len>`.
    pub fn recvind(&self) -> bool {
        self.get("recvind")[0] == 1
    }

    /// `"viewmode"` 1: `+QIRD: <len>,<data>` on one line.
    pub fn viewmode_one_line(&self) -> bool {
        self.get("viewmode")[0] == 1
    }

    /// `"dataformat"`: (send, receive) in hex.
    pub fn hex_format(&self) -> (bool, bool) {
        let v = self.get("dataformat");
        (v[0] == 1, v[1] == 1)
    }

    /// `"tcp/accept"` 0: listeners refuse incoming connections.
    pub fn accepts_incoming(&self) -> bool {
        self.get("tcp/accept")[0] == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_values_are_in_range_and_typed_accessors_find_their_items() {
        for item in IP_CFG_ITEMS {
            for &(lo, hi, default) in item.values {
                assert!((lo..=hi).contains(&default), "{}", item.name);
            }
        }
        let mut cfg = IpCfg::default();
        assert!(!cfg.recvind() && !cfg.viewmode_one_line() && cfg.accepts_incoming());
        let (i, _) = IpCfg::item("RECVIND").unwrap();
        cfg.set(i, &[1]);
        assert!(cfg.recvind());
        assert_eq!(cfg.hex_format(), (false, false));
    }
}
