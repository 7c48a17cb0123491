//! Faults: sshd's word on where the client is, `SSH_CONNECTION` (or, when
//! that is unset, `SSH_CLIENT`), is missing or malformed. The address is
//! then unknown, and a profile that restricts `from` denies, with the
//! reason and a record whose address is null; nothing runs.

mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use common::gate::{Scenario, assert_denied, forced, stderr};
use common::marker;

const DENIED: i32 = 77;

const UNKNOWN: &str = "client address unknown (SSH_CONNECTION unset or malformed; SSH_CLIENT is read only when SSH_CONNECTION is unset) and the profile restricts `from`";

fn scenario() -> Scenario {
    marker::scenario("log = \"{log}\"\nfrom = [\"192.0.2.0/24\"]")
}

/// Runs the marker command with exactly these two variables (`None`:
/// unset).
fn run(
    scenario: &Scenario,
    ssh_connection: Option<OsString>,
    ssh_client: Option<OsString>,
) -> std::process::Output {
    let mut gate = forced(&scenario.policy, Some(&marker::command(scenario)));
    gate.env_remove("SSH_CONNECTION").env_remove("SSH_CLIENT");
    if let Some(value) = ssh_connection {
        gate.env("SSH_CONNECTION", value);
    }
    if let Some(value) = ssh_client {
        gate.env("SSH_CLIENT", value);
    }
    gate.output().expect("run the gate")
}

fn text(value: &str) -> Option<OsString> {
    Some(value.into())
}

#[test]
fn a_missing_or_malformed_client_address_is_denied_where_from_restricts_it() {
    let client_ok = text("192.0.2.10 50022 22");
    let not_utf8 = Some(OsString::from_vec(
        b"192.0.2.10\xff 50022 192.0.2.1 22".to_vec(),
    ));
    let cases = [
        (None, None),
        (text(""), None),
        (text("garbage"), None),
        (text("192.0.2.10 50022 192.0.2.1"), None),
        (text("192.0.2.10 50022 192.0.2.1 22 extra"), None),
        (text("192.0.2.10  50022 192.0.2.1 22"), None),
        (text(" 192.0.2.10 50022 192.0.2.1 22"), None),
        (text("192.0.2.10 65536 192.0.2.1 22"), None),
        (text("192.0.2.10 -1 192.0.2.1 22"), None),
        (text("192.0.2.010 50022 192.0.2.1 22"), None),
        (text("fe80::1%eth0 50022 fe80::2%eth0 22"), None),
        (None, text("192.0.2.10 50022")),
        (None, text("192.0.2.10 x 22")),
        // Set but malformed: not passed over for a well-formed SSH_CLIENT,
        // which no more comes from sshd than it does.
        (text("garbage"), client_ok.clone()),
        (not_utf8, client_ok),
    ];
    for (ssh_connection, ssh_client) in cases {
        let scenario = scenario();
        let case = format!("SSH_CONNECTION={ssh_connection:?} SSH_CLIENT={ssh_client:?}");
        let output = run(&scenario, ssh_connection, ssh_client);
        assert_eq!(output.status.code(), Some(DENIED), "{case}: {output:?}");
        assert_denied(&output, DENIED, UNKNOWN);
        assert!(!marker::ran(&scenario), "{case}: the command ran");
        let records = scenario.records();
        assert_eq!(records.len(), 1, "{case}: {records:?}");
        assert_eq!(records[0]["decision"], "deny", "{case}");
        assert_eq!(records[0]["reason"], UNKNOWN, "{case}");
        assert_eq!(
            records[0]["client_address"],
            serde_json::Value::Null,
            "{case}"
        );
        assert_eq!(records[0]["client_port"], serde_json::Value::Null, "{case}");
    }
}

#[test]
fn ssh_client_gives_the_address_when_ssh_connection_is_unset() {
    let scenario = scenario();
    let output = run(&scenario, None, text("192.0.2.10 50022 22"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker::ran(&scenario), "the command did not run");
    let records = scenario.records();
    assert_eq!(records[0]["decision"], "allow");
    assert_eq!(records[0]["client_address"], "192.0.2.10");
    assert_eq!(records[0]["client_port"], 50022);
}

#[test]
fn without_from_an_unknown_address_is_recorded_as_null() {
    // As documented: only `from` makes the address a condition. The
    // record still says it was not known.
    let scenario = marker::scenario("log = \"{log}\"");
    let output = run(&scenario, text("garbage"), None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(marker::ran(&scenario), "the command did not run");
    let records = scenario.records();
    assert_eq!(records[0]["decision"], "allow");
    assert_eq!(records[0]["client_address"], serde_json::Value::Null);
}
