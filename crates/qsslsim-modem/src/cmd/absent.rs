//! What the maker's other module families have and this one lacks: commands and `AT+QSSLCFG`
//! items that public host stacks send because they were written for a BG9x or LTE-M part. The
//! module answers them `ERROR` like any unknown command; this table only lets the refusal's log
//! line and trace record say why, and names the policy row that records the choice. Accepting
//! them would be a false pass: a host that relies on them fails on this module.

/// One thing this family lacks.
pub(crate) struct Absent {
    /// The command name as parsed (`+QPSMS`) or the `AT+QSSLCFG` item (`checkhost`).
    pub name: &'static str,
    /// Where it comes from.
    pub family: &'static str,
    /// The policy row that records the choice.
    pub policy: &'static str,
}

/// Commands of other families.
const COMMANDS: &[Absent] = &[
    Absent { name: "+QPSMS", family: "the maker's LTE-M/NB-IoT modules", policy: "qpsms" },
    Absent { name: "+QCELLSCAN", family: "the BG95/BG77 (LTE-M/NB-IoT) modules", policy: "qcellscan" },
];

/// `AT+QSSLCFG` items of other families.
const SSL_ITEMS: &[Absent] = &[Absent {
    name: "checkhost",
    family:
        "the BG95/BG77 SSL notes (this family checks the host name under seclevel 1/2, ignorecertitem bit 4)",
    policy: "ssl-checkhost",
}];

fn reason(table: &[Absent], name: &str, what: &str) -> Option<String> {
    table.iter().find(|a| a.name.eq_ignore_ascii_case(name)).map(|a| {
        format!("{what} belongs to {} and is not part of this module family (policy {})", a.family, a.policy)
    })
}

/// Why command `name` (as parsed, `+QCELLSCAN`) is unknown, when it is another family's.
pub(crate) fn command(name: &str) -> Option<String> {
    reason(COMMANDS, name, &format!("AT{name}"))
}

/// Why `AT+QSSLCFG` item `item` is unknown, when it is another family's.
pub(crate) fn ssl_item(item: &str) -> Option<String> {
    reason(SSL_ITEMS, item, &format!("AT+QSSLCFG item \"{item}\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons_name_the_policy() {
        assert!(super::command("+QCELLSCAN").unwrap().contains("policy qcellscan"));
        assert!(super::ssl_item("CheckHost").unwrap().contains("policy ssl-checkhost"));
        assert!(super::command("+QSSLOPEN").is_none());
        let names: Vec<&str> = crate::policy::policies().iter().map(|p| p.name).collect();
        for a in super::COMMANDS.iter().chain(super::SSL_ITEMS) {
            assert!(names.contains(&a.policy), "{} has no policy row", a.policy);
        }
    }
}
